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

/** `@bento-ts/<name>` → packages/<name>/src/index.ts: bundle the sources, not possibly stale dists. */
const workspaceSources: Plugin = {
  name: 'workspace-sources',
  setup(b) {
    b.onResolve({ filter: /^@bento-ts\/[a-z0-9-]+$/ }, (args) => {
      const name = args.path.slice('@bento-ts/'.length)
      const path = join(repoRoot, 'packages', name, 'src', 'index.ts')
      return existsSync(path) ? { path } : undefined
    })
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
  const t0 = performance.now()
  await build({
    entryPoints: [join(appDir, 'src', 'main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minifySyntax: true,
    legalComments: 'none',
    plugins: [workspaceSources, lazyRequires],
    logLevel: 'warning',
    // import.meta is an empty object in a CommonJS bundle: createRequire(import.meta.url) and
    // friends would fail only when the executable runs. Fail the build at the source line instead.
    logOverride: { 'empty-import-meta': 'error' },
  })
  const bundled = performance.now() - t0

  const blob = join(outDir, 'sea-prep.blob')
  const seaConfig = join(outDir, 'sea-config.json')
  writeFileSync(
    seaConfig,
    JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
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
    `built ${exe} (${mb(exe)} MiB; bundle ${mb(bundle)} MiB in ${bundled.toFixed(0)} ms; Node ${major} from ${node})\n`,
  )
  return exe
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await buildExe(process.argv.slice(2))
}
