// Builds `dist/exe/workflow-plugin-bento`: a Node 24 single executable application, so a workflow
// host needs no Node. src/main.ts and every workspace package are bundled (from their TypeScript
// sources) into one CommonJS file with esbuild; Node turns it into a SEA blob
// (`--experimental-sea-config`) and postject injects the blob into a copy of the Node binary.
//
//   node scripts/build-exe.ts [--node /path/to/node24]
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { build, type Plugin } from 'esbuild'

const appDir = resolve(import.meta.dirname, '..')
const repoRoot = resolve(appDir, '..', '..')
const outDir = join(appDir, 'dist', 'exe')
export const exeName = 'workflow-plugin-bento'
const require = createRequire(join(appDir, 'package.json'))

/** The Node 24 the executable is made of: --node, else the repo's pinned one, else this one. */
function nodeBinary(argv: string[]): string {
  const i = argv.indexOf('--node')
  if (i >= 0 && argv[i + 1] !== undefined) return realpathSync(argv[i + 1]!)
  const pinned = join(repoRoot, '.tools', 'node_modules', '.bin', 'node')
  return realpathSync(existsSync(pinned) ? pinned : process.execPath)
}

/**
 * `@bento-ts/<name>` → packages/<name>/src/index.ts and `@bento-ts/<name>/<sub>` →
 * packages/<name>/src/<sub>/index.ts or <sub>.ts: bundle the sources (one copy of each), not possibly stale dists.
 */
const workspaceSources: Plugin = {
  name: 'workspace-sources',
  setup(b) {
    b.onResolve({ filter: /^@bento-ts\/[a-z0-9-]+(\/[a-z0-9-]+)?$/ }, (args) => {
      const [name, sub] = args.path.slice('@bento-ts/'.length).split('/')
      const src = join(repoRoot, 'packages', name!, 'src')
      const candidates =
        sub === undefined ? [join(src, 'index.ts')] : [join(src, sub, 'index.ts'), join(src, `${sub}.ts`)]
      const path = candidates.find((c) => existsSync(c))
      return path === undefined ? undefined : { path }
    })
  },
}

/**
 * The connector packages (and their SDKs, most of the code) go in a second bundle, an asset of
 * the executable evaluated only when the environment is first needed (the first Create* call), so
 * the host does not wait for megabytes of SDK code to be parsed. Both bundles share one copy of
 * core and bloblang: the connectors bundle leaves them external and gets the main bundle's.
 */
const shared = ['@bento-ts/core', '@bento-ts/core/kit', '@bento-ts/bloblang'] as const
const connectorsAsset = 'connectors.cjs'
const environmentModule = join(appDir, 'src', 'environment.ts')

const sharedExternal: Plugin = {
  name: 'shared-external',
  setup(b) {
    b.onResolve({ filter: /^@bento-ts\/(core|core\/kit|bloblang)$/ }, (args) => ({
      path: args.path,
      external: true,
    }))
  },
}

/** In the main bundle, src/environment.ts is replaced by a loader of the connectors asset. */
const environmentFromAsset: Plugin = {
  name: 'environment-from-asset',
  setup(b) {
    b.onResolve({ filter: /\/environment\.ts$/ }, (args) =>
      resolve(args.resolveDir, args.path) === environmentModule
        ? { path: 'environment-loader', namespace: 'exe' }
        : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'exe' }, () => ({
      resolveDir: appDir,
      loader: 'ts',
      contents: `
        import { dirname } from 'node:path'
        import { getAsset } from 'node:sea'
        ${shared.map((id, i) => `import * as shared${i} from '${id}'`).join('\n')}
        const modules: Record<string, unknown> = { ${shared.map((id, i) => `'${id}': shared${i}`).join(', ')} }
        export function pluginEnvironment() {
          const module = { exports: {} as { pluginEnvironment(): unknown } }
          const load = (id: string) => modules[id] ?? require(id)
          // the same CommonJS wrapper arguments the main bundle gets from Node
          new Function('exports', 'require', 'module', '__filename', '__dirname', getAsset('${connectorsAsset}', 'utf8'))(
            module.exports, load, module, process.execPath, dirname(process.execPath),
          )
          return module.exports.pluginEnvironment()
        }
      `,
    }))
  },
}

/**
 * Packages load heavy libraries on first use with `const require = createRequire(import.meta.url)`
 * and `require('<literal>')`. In the bundle that line goes, so each `require('<literal>')` is the
 * bundler's: the library is bundled and still evaluated only when first called.
 */
const lazyRequires: Plugin = {
  name: 'lazy-requires',
  setup(b) {
    b.onLoad({ filter: /[/\\]packages[/\\][^/\\]+[/\\]src[/\\].*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8')
      const line = /^(\s*)const require = createRequire\(import\.meta\.url\)\s*$/m
      if (!line.test(text)) return undefined
      return { contents: text.replace(line, "$1// (bundled: require is the bundler's)"), loader: 'ts' }
    })
  },
}

export async function buildExe(argv: string[] = []): Promise<string> {
  const node = nodeBinary(argv)
  const major = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()
  if (!major.startsWith('24.'))
    throw new Error(`${node} is Node ${major}; the executable is built from Node 24`)
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })

  const bundle = join(outDir, 'main.cjs')
  const connectors = join(outDir, connectorsAsset)
  const t0 = performance.now()
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    // import.meta is an empty object in a CommonJS bundle: createRequire(import.meta.url) and
    // friends would fail only when the executable runs. Fail the build at the source line instead.
    logOverride: { 'empty-import-meta': 'error' },
  } as const
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(appDir, 'src', 'main.ts')],
      outfile: bundle,
      plugins: [environmentFromAsset, workspaceSources, lazyRequires],
    }),
    build({
      ...common,
      entryPoints: [environmentModule],
      outfile: connectors,
      plugins: [sharedExternal, workspaceSources, lazyRequires],
    }),
  ])
  const bundled = performance.now() - t0

  const blob = join(outDir, 'sea-prep.blob')
  const seaConfig = join(outDir, 'sea-config.json')
  writeFileSync(
    seaConfig,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      assets: { [connectorsAsset]: connectors },
    }),
  )
  execFileSync(node, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] })

  const exe = join(outDir, exeName)
  copyFileSync(node, exe)
  chmodSync(exe, 0o755)
  // macOS runs only signed binaries: Node's signature is removed before the blob goes in, and the
  // result is signed ad hoc (Node's SEA instructions); the blob lives in its own Mach-O segment.
  const macos = process.platform === 'darwin'
  if (macos) execFileSync('codesign', ['--remove-signature', exe], { stdio: ['ignore', 'ignore', 'inherit'] })
  const postject = join(dirname(require.resolve('postject/package.json')), 'dist', 'cli.js')
  execFileSync(
    process.execPath,
    [
      postject,
      exe,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
      ...(macos ? ['--macho-segment-name', 'NODE_SEA'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  if (macos) execFileSync('codesign', ['--sign', '-', exe], { stdio: ['ignore', 'ignore', 'inherit'] })
  rmSync(blob)
  rmSync(seaConfig)
  const mb = (p: string) => (statSync(p).size / 1024 / 1024).toFixed(1)
  process.stderr.write(
    `built ${exe} (${mb(exe)} MiB; bundles ${mb(bundle)} + ${mb(connectors)} MiB in ${bundled.toFixed(0)} ms; Node ${major} from ${node})\n`,
  )
  return exe
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await buildExe(process.argv.slice(2))
}
