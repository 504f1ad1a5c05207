// Builds `dist/exe/workflow-plugin-bento`: a Node 24 single executable application, so a workflow
// host needs no Node. src/main.ts and the workspace packages are bundled (from their TypeScript
// sources) with esbuild into one CommonJS file, plus one CommonJS asset per connector package
// (evaluated on first use); Node turns them into a SEA blob (`--experimental-sea-config`) and
// postject injects the blob into a copy of the Node binary.
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
 * `@bento-ts/<name>[/<sub>]` → the TypeScript source of what the package exports there (its
 * `exports` entry with dist/…js read as src/…ts): bundle the sources (one copy of each), not
 * possibly stale dists.
 */
const workspaceSources: Plugin = {
  name: 'workspace-sources',
  setup(b) {
    b.onResolve({ filter: /^@bento-ts\/[a-z0-9-]+(\/[a-z0-9-]+)?$/ }, (args) => {
      const [name, sub] = args.path.slice('@bento-ts/'.length).split('/')
      const dir = join(repoRoot, 'packages', name!)
      if (!existsSync(join(dir, 'package.json'))) return undefined
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        exports?: Record<string, { default?: string }>
      }
      const target = manifest.exports?.[sub === undefined ? '.' : `./${sub}`]?.default
      if (target === undefined) return undefined
      const path = join(dir, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'))
      return existsSync(path) ? { path } : undefined
    })
  },
}

/**
 * Each connector package (the plugin's dependencies that export `./catalog`) and its SDK go in a
 * bundle of their own, an asset of the executable evaluated only when a config first builds one
 * of its components (src/environment.ts imports it then): the executable starts, lists and lints
 * without parsing connector code, and a stream using Redis evaluates only the Redis asset. The
 * assets share the main bundle's one copy of core and bloblang: they leave them external and get
 * the main bundle's through their `require`.
 */
const shared = ['@bento-ts/core', '@bento-ts/core/kit', '@bento-ts/bloblang'] as const

export function connectorPackageNames(): string[] {
  const manifest = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }
  return Object.keys(manifest.dependencies)
    .filter((name) => name.startsWith('@bento-ts/'))
    .filter((name) => {
      const file = join(repoRoot, 'packages', name.slice('@bento-ts/'.length), 'package.json')
      const exports = (JSON.parse(readFileSync(file, 'utf8')) as { exports?: Record<string, unknown> })
        .exports
      return exports?.['./catalog'] !== undefined
    })
    .sort()
}

/** `@bento-ts/aws-s3` → `aws-s3.cjs`, its asset's name. */
const assetOf = (name: string) => `${name.slice('@bento-ts/'.length)}.cjs`

const sharedExternal: Plugin = {
  name: 'shared-external',
  setup(b) {
    b.onResolve({ filter: /^@bento-ts\/(core|core\/kit|bloblang)$/ }, (args) => ({
      path: args.path,
      external: true,
    }))
  },
}

/** In the main bundle, `import('@bento-ts/<connector>')` evaluates that package's asset. */
function connectorsFromAssets(names: readonly string[]): Plugin {
  return {
    name: 'connectors-from-assets',
    setup(b) {
      const filter = new RegExp(`^(${names.map((n) => n.replace(/[/-]/g, '\\$&')).join('|')})$`)
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'connector-asset' }))
      b.onLoad({ filter: /.*/, namespace: 'connector-asset' }, (args) => ({
        resolveDir: appDir,
        loader: 'js',
        // CommonJS, so nothing runs before the dynamic import initialises this module; the same
        // wrapper arguments Node gives a CommonJS file.
        contents: `
          const { dirname } = require('node:path')
          const { getAsset } = require('node:sea')
          const modules = { ${shared.map((id) => `'${id}': require('${id}')`).join(', ')} }
          const load = (id) => modules[id] ?? require(id)
          const asset = { exports: {} }
          new Function('exports', 'require', 'module', '__filename', '__dirname', getAsset('${assetOf(args.path)}', 'utf8'))(
            asset.exports, load, asset, process.execPath, dirname(process.execPath),
          )
          module.exports = asset.exports
        `,
      }))
    },
  }
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
  const connectors = connectorPackageNames()
  const assetDir = join(outDir, 'assets')
  const assets = Object.fromEntries(connectors.map((name) => [assetOf(name), join(assetDir, assetOf(name))]))
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
      plugins: [connectorsFromAssets(connectors), workspaceSources, lazyRequires],
    }),
    ...connectors.map((name) =>
      build({
        ...common,
        entryPoints: [join(repoRoot, 'packages', name.slice('@bento-ts/'.length), 'src', 'index.ts')],
        outfile: assets[assetOf(name)]!,
        plugins: [sharedExternal, workspaceSources, lazyRequires],
      }),
    ),
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
      assets,
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
    `built ${exe} (${mb(exe)} MiB; main bundle ${mb(bundle)} MiB, connector assets ${Object.entries(assets)
      .map(([name, path]) => `${name} ${mb(path)}`)
      .join(', ')} MiB, in ${bundled.toFixed(0)} ms; Node ${major} from ${node})\n`,
  )
  return exe
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await buildExe(process.argv.slice(2))
}
