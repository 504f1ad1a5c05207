// The archive users download is the thing tested: `pnpm release:build` makes this platform's
// workflow-plugin-bento-<os>-<arch>.tar.gz (or BENTO_TS_RELEASE_DIR names a folder holding one
// already, as the release workflow does with the archive it is about to publish); `tar` unpacks
// it into a fresh data/plugins/workflow-plugin-bento/, and the real workflow host
// (conformance/host) loads what came out of it: the checks with the unpacked executable, and the
// host's LoadPlugin (manifest validation included) plus step and delivery round trips with the
// unpacked executable and the unpacked plugin.json.
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ensureTool, repoRoot } from '@bento-ts/test-services'
import { afterAll, beforeAll, expect, it } from 'vitest'

const run = promisify(execFile)
const goOs = ({ linux: 'linux', darwin: 'darwin' } as Record<string, string>)[process.platform]
const goArch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch]
const archiveName = `workflow-plugin-bento-${goOs}-${goArch}.tar.gz`
const appDir = join(import.meta.dirname, '..')
const version = (JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { version: string })
  .version

let work: string
let releaseDir: string
let pluginDir: string
let harness: string

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'release-archive-'))
  releaseDir = process.env.BENTO_TS_RELEASE_DIR ?? join(work, 'release')
  const harnessBuilt = ensureTool('workflow-host-harness')
  if (process.env.BENTO_TS_RELEASE_DIR === undefined) {
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'release-build.ts'), '--out', releaseDir], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
  }
  // A cold build of the harness (the workflow module and its dependencies) takes a few minutes.
  harness = await harnessBuilt
  pluginDir = join(work, 'data', 'plugins', 'workflow-plugin-bento')
  mkdirSync(pluginDir, { recursive: true })
  execFileSync('tar', ['-xzf', join(releaseDir, archiveName), '-C', pluginDir])
}, 900_000)

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

it('checksums.txt has the archive’s SHA-256 in sha256sum format', () => {
  const sha = createHash('sha256')
    .update(readFileSync(join(releaseDir, archiveName)))
    .digest('hex')
  const lines = readFileSync(join(releaseDir, 'checksums.txt'), 'utf8').trimEnd().split('\n')
  expect(lines).toContain(`${sha}  ${archiveName}`)
})

it('holds exactly the executable, plugin.json and LICENSE, flat', () => {
  const listing = execFileSync('tar', ['-tzf', join(releaseDir, archiveName)], { encoding: 'utf8' })
  expect(listing.trim().split('\n').sort()).toEqual(['LICENSE', 'plugin.json', 'workflow-plugin-bento'])
})

it('unpacks into the layout the host discovers, with the release version', () => {
  const exe = join(pluginDir, 'workflow-plugin-bento')
  expect(statSync(exe).mode & 0o777).toBe(0o755)
  const manifest = JSON.parse(readFileSync(join(pluginDir, 'plugin.json'), 'utf8')) as Record<string, unknown>
  const source = JSON.parse(readFileSync(join(appDir, 'plugin.json'), 'utf8')) as Record<string, unknown>
  expect(manifest).toEqual({ ...source, version })
  expect(readFileSync(join(pluginDir, 'LICENSE'), 'utf8')).toBe(
    readFileSync(join(repoRoot, 'LICENSE'), 'utf8'),
  )
  expect(execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim()).toBe(version)
})

interface Summary {
  ok: boolean
  checks: { name: string; ok: boolean; error?: string }[]
}

it('the unpacked executable passes every check of the real workflow host', async () => {
  const exe = join(pluginDir, 'workflow-plugin-bento')
  const { stdout } = await run(harness, ['-repo', repoRoot, '-exe', exe], {
    timeout: 180_000,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string; stderr?: string }) => {
    // A failed check exits 1; the summary (and the host log on stderr) still say which.
    if (err.stdout === undefined) throw err
    console.error(err.stderr)
    return { stdout: err.stdout }
  })
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Summary
  expect(summary.checks.filter((c) => !c.ok)).toEqual([])
  expect(summary.checks.map((c) => c.name)).toEqual(
    expect.arrayContaining([
      'discover',
      'load (handshake, manifest, ConfigureCallback)',
      'full engine: an inline bento trigger runs its pipeline (step.bento) per message',
      'shutdown within 2 s, no SIGKILL',
    ]),
  )
  expect(summary.ok).toBe(true)
}, 240_000)

it('the host loads the unpacked plugin.json with it and runs steps and deliveries', async () => {
  const exe = join(pluginDir, 'workflow-plugin-bento')
  const manifest = join(pluginDir, 'plugin.json')
  expect(existsSync(manifest)).toBe(true)
  const args = ['-bench', '-exe', exe, '-manifest', manifest]
  const counts = [
    '-steps',
    '200',
    '-deliveries',
    '200',
    '-handshakes',
    '1',
    '-loads',
    '1',
    '-concurrency',
    '4',
  ]
  const { stdout } = await run(harness, [...args, ...counts], {
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stdout?: string; stderr?: string }) => {
    if (err.stdout === undefined) throw err
    console.error(err.stderr)
    return { stdout: err.stdout }
  })
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    errors: string[]
    load_ms: number
    step_remote?: { n: number }
    manifest: string
  }
  expect(result.errors).toEqual([])
  expect(result.manifest).toBe(manifest)
  expect(result.load_ms).toBeGreaterThan(0)
  expect(result.step_remote?.n).toBe(200)
}, 240_000)
