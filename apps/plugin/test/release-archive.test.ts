// The archive users download is the thing tested: `pnpm release:build` makes this platform's
// workflow-plugin-bento-<os>-<arch>.tar.gz (or BENTO_TS_RELEASE_DIR names a folder holding one
// already, as the release workflow does with the archive it is about to publish); `tar` unpacks
// it into a fresh data/plugins/workflow-plugin-bento/, and the real workflow host
// (conformance/host) loads what came out of it: the checks with the unpacked executable, and the
// host's LoadPlugin (manifest validation included) plus step and delivery round trips with the
// unpacked executable and the unpacked plugin.json; then wfctl's checks on it, `wfctl plugin
// install` from a registry served on 127.0.0.1, the engine running what that installed, and the
// error when the Go plugin is installed beside it.
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ensureTool, repoRoot } from '@bento-ts/test-services'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const goOs = ({ linux: 'linux', darwin: 'darwin' } as Record<string, string>)[process.platform]
const goArch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch]
const archiveName = `workflow-plugin-bento-${goOs}-${goArch}.tar.gz`
const wfctlArchiveName = `workflow-plugin-bento_${goOs}_${goArch}.tar.gz`
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

it('holds exactly the executable, plugin.json, plugin.contracts.json and LICENSE, flat', () => {
  const listing = execFileSync('tar', ['-tzf', join(releaseDir, archiveName)], { encoding: 'utf8' })
  expect(listing.trim().split('\n').sort()).toEqual([
    'LICENSE',
    'plugin.contracts.json',
    'plugin.json',
    'workflow-plugin-bento',
  ])
  // the same archive under the name `wfctl plugin install owner/repo@tag` looks for
  const sha = (name: string) =>
    createHash('sha256')
      .update(readFileSync(join(releaseDir, name)))
      .digest('hex')
  expect(sha(wfctlArchiveName)).toBe(sha(archiveName))
})

it('unpacks into the layout the host discovers, with the release version', () => {
  const exe = join(pluginDir, 'workflow-plugin-bento')
  expect(statSync(exe).mode & 0o777).toBe(0o755)
  const manifest = JSON.parse(readFileSync(join(pluginDir, 'plugin.json'), 'utf8')) as Record<string, unknown>
  const source = JSON.parse(readFileSync(join(appDir, 'plugin.json'), 'utf8')) as Record<string, unknown>
  expect(manifest).toEqual({
    ...source,
    version,
    downloads: (source.downloads as { url: string }[]).map((d) => ({
      ...d,
      url: d.url.replace(/\/download\/v[^/]+\//, `/download/v${version}/`),
    })),
  })
  expect(JSON.parse(readFileSync(join(pluginDir, 'plugin.contracts.json'), 'utf8'))).toEqual({
    version: '1',
    contracts: source.contracts,
  })
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

// What the workflow ecosystem runs on a release: wfctl's checks on the archive's manifest and
// executable, then an install from a registry and the engine running what was installed.
describe('wfctl (workflow v0.85.4) on the release', () => {
  let wfctl: string
  beforeAll(async () => {
    wfctl = await ensureTool('wfctl')
  }, 900_000)

  const wfctlRun = (args: string[], cwd: string) =>
    run(wfctl, args, { cwd, timeout: 120_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => {
        if (typeof err.code !== 'number') throw err
        return { code: err.code, out: (err.stdout ?? '') + (err.stderr ?? '') }
      },
    )

  it('plugin validate --strict-contracts passes on the unpacked plugin.json', async () => {
    const result = await wfctlRun(
      ['plugin', 'validate', '--file', 'plugin.json', '--strict-contracts'],
      pluginDir,
    )
    expect(result).toEqual({ code: 0, out: `OK  bento v${version} (plugin.json)\n` })
  })

  it('plugin verify-capabilities: the executable reports what plugin.json declares', async () => {
    const exe = join(pluginDir, 'workflow-plugin-bento')
    const result = await wfctlRun(['plugin', 'verify-capabilities', '--binary', exe, '.'], pluginDir)
    expect(result.out).toContain(`OK    bento ${version} (plugin.json: ${version})`)
    expect(result.code).toBe(0)
  })

  it('plugin validate-contract: every manifest check passes (its Go-source checks do not apply)', async () => {
    const result = await wfctlRun(['plugin', 'validate-contract', '.'], pluginDir)
    // Checks 1-3 (plugin.json valid, capabilities, minEngineVersion) pass. Checks 4-5 scan Go
    // sources for sdk.ResolveBuildVersion and a .goreleaser -X ldflag: a Node executable has
    // neither (its version is compiled in and checked by verify-capabilities above), so exactly
    // those two are reported, and nothing else.
    const failures = result.out
      .split('\n')
      .filter((l) => l.startsWith('  - '))
      .map((l) => l.slice(4))
    expect(failures).toEqual([
      'no cmd/**/main.go (or .go file under repo root) found to scan for contract',
      '.goreleaser.{yaml,yml}: missing `-X *.Version=` ldflag (mandatory mechanism to deliver release tag into binary)',
    ])
  })

  it('plugin install from a registry on 127.0.0.1 into a fresh plugins dir; the engine runs step.bento and a bento.stream', async () => {
    // The registry: the release's manifest.json at plugins/bento/manifest.json, its download URL
    // pointed at this server (sha256 as released), the archive beside it.
    const registry = join(work, 'registry')
    mkdirSync(join(registry, 'plugins', 'bento'), { recursive: true })
    const server = createServer((req, res) => {
      const path = join(registry, decodeURIComponent(new URL(req.url!, 'http://x').pathname))
      if (!path.startsWith(registry) || !existsSync(path) || statSync(path).isDirectory()) {
        res.writeHead(404).end('not found')
        return
      }
      res.writeHead(200)
      createReadStream(path).pipe(res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      copyFileSync(join(releaseDir, archiveName), join(registry, archiveName))
      const released = JSON.parse(readFileSync(join(releaseDir, 'manifest.json'), 'utf8')) as {
        version: string
        downloads: { os: string; arch: string; url: string; sha256: string }[]
      }
      expect(released.version).toBe(version)
      const download = released.downloads.find((d) => d.os === goOs && d.arch === goArch)!
      expect(download.sha256).toBe(
        createHash('sha256')
          .update(readFileSync(join(releaseDir, archiveName)))
          .digest('hex'),
      )
      writeFileSync(
        join(registry, 'plugins', 'bento', 'manifest.json'),
        JSON.stringify({ ...released, downloads: [{ ...download, url: `${base}/${archiveName}` }] }),
      )
      const project = join(work, 'project')
      mkdirSync(project)
      writeFileSync(
        join(project, 'registries.yaml'),
        `registries:\n  - name: local\n    type: static\n    url: ${base}\n    priority: 0\n`,
      )
      const plugins = join(project, 'plugins')
      const installed = await wfctlRun(
        ['plugin', 'install', '--config', 'registries.yaml', '--plugin-dir', plugins, 'bento'],
        project,
      )
      expect(installed.out).toContain('Checksum verified.')
      expect(installed.out).toContain(`Installed bento v${version} to ${join(plugins, 'bento')}`)
      expect(installed.code).toBe(0)
      // wfctl names the executable after the plugin: <plugins>/bento/bento
      expect(statSync(join(plugins, 'bento', 'bento')).mode & 0o111).not.toBe(0)

      const streamOut = join(project, 'stream-out.jsonl')
      writeFileSync(
        join(project, 'app.yaml'),
        [
          'modules:',
          '  - name: ticker',
          '    type: bento.stream',
          '    config:',
          '      input: {generate: {mapping: \'root = {"n": counter()}\', count: 3, interval: ""}}',
          "      pipeline: {processors: [{mapping: 'root.doubled = this.n * 2'}]}",
          `      output: {file: {path: ${JSON.stringify(streamOut)}, codec: lines}}`,
          'pipelines:',
          '  price:',
          '    steps:',
          '      - name: price',
          '        type: step.bento',
          "        config: {processors: [{mapping: 'root.total = this.qty * this.price'}]}",
          '      - name: receipt',
          '        type: step.set',
          '        config: {values: {receipt: "total {{ .steps.price.result.total }}"}}',
          '',
        ].join('\n'),
      )
      const args = ['-installed', plugins, '-config', join(project, 'app.yaml'), '-pipeline', 'price']
      args.push('-input', '{"qty": 3, "price": 2.5}', '-wait-file', streamOut, '-wait-lines', '3')
      const { stdout } = await run(harness, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }).catch(
        (err: { stdout?: string; stderr?: string }) => {
          if (err.stdout === undefined) throw err
          return { stdout: err.stdout }
        },
      )
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Installed
      if (result.error !== undefined) console.error(result.host_log)
      expect(result).toMatchObject({ loaded: ['bento'], load_errors: [] })
      expect(result.error).toBeUndefined()
      // step.bento's strict output shape ({result}) and the step after it reading it
      expect(result.result).toMatchObject({ result: { total: 7.5 }, receipt: 'total 7.5' })
      expect(readFileSync(streamOut, 'utf8')).toBe('{"doubled":2}\n{"doubled":4}\n{"doubled":6}\n')
    } finally {
      server.close()
    }
  }, 300_000)

  it('beside the Go plugin, refuses to start with an error naming both dirs', async () => {
    const plugins = join(work, 'both', 'plugins')
    const ours = join(plugins, 'workflow-plugin-bento')
    const go = join(plugins, 'bento')
    mkdirSync(ours, { recursive: true })
    mkdirSync(go, { recursive: true })
    execFileSync('tar', ['-xzf', join(releaseDir, archiveName), '-C', ours])
    // The Go plugin's plugin.json (v1.1.5, types under capabilities) and an executable in its place.
    writeFileSync(
      join(go, 'plugin.json'),
      JSON.stringify({
        name: 'bento',
        version: '1.1.5',
        author: 'GoCodeAlone',
        description: 'Stream processing via Bento',
        type: 'external',
        tier: 'core',
        license: 'MIT',
        minEngineVersion: '0.1.0',
        capabilities: {
          moduleTypes: ['bento.stream', 'bento.input', 'bento.output', 'bento.broker'],
          stepTypes: ['step.bento'],
          triggerTypes: ['bento'],
        },
      }),
    )
    writeFileSync(join(go, 'bento'), '#!/bin/sh\nexit 1\n', { mode: 0o755 })
    const { stdout } = await run(harness, ['-installed', plugins], {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    })
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Installed
    expect(result.loaded).toEqual([])
    expect(result.load_errors.some((e) => e.includes('connect to plugin "workflow-plugin-bento"'))).toBe(true)
    expect(result.host_log).toContain(
      `plugin "workflow-plugin-bento" stderr: workflow-plugin-bento (${ours}): another installed plugin provides the same types: ${go} (plugin "bento" 1.1.5: bento.stream, bento.input, bento.output, bento.broker, step.bento, bento). The host would register only the first one it loads and ignore the other. Remove one of them`,
    )
  }, 120_000)
})

interface Installed {
  loaded: string[]
  load_errors: string[]
  result?: Record<string, unknown>
  error?: string
  host_log: string
}
