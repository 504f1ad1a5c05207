import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  archiveName,
  checkPluginVersion,
  checksumsText,
  platformName,
  tarHeader,
  writeChecksums,
  writeTarGz,
} from './release-build.ts'

const scratch = mkdtempSync(join(tmpdir(), 'release-build-test-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('platformName', () => {
  it('uses Go’s names, as the archives of the Go plugin and wfctl do', () => {
    expect(platformName('linux', 'x64')).toEqual({ os: 'linux', arch: 'amd64' })
    expect(platformName('darwin', 'arm64')).toEqual({ os: 'darwin', arch: 'arm64' })
    expect(archiveName('linux', 'arm64')).toBe('workflow-plugin-bento-linux-arm64.tar.gz')
  })
  it('has no build for other platforms', () => {
    expect(() => platformName('win32', 'x64')).toThrow(/no prebuilt plugin for win32\/x64/)
    expect(() => platformName('linux', 'ia32')).toThrow(/no prebuilt plugin for linux\/ia32/)
  })
})

it('plugin versions are MAJOR.MINOR.PATCH only, as the workflow host validates them', () => {
  expect(() => checkPluginVersion('2.1.3')).not.toThrow()
  expect(() => checkPluginVersion('1.2.3-rc.1')).toThrow(/not MAJOR\.MINOR\.PATCH/)
})

describe('tar', () => {
  it('writes a ustar header whose checksum is the sum of its bytes', () => {
    const h = tarHeader({ name: 'plugin.json', mode: 0o644, size: 5, mtime: 1_700_000_000 })
    expect(h.length).toBe(512)
    expect(h.subarray(257, 263).toString('latin1')).toBe('ustar\0')
    const stored = Number.parseInt(h.subarray(148, 154).toString('ascii'), 8)
    const blank = Buffer.from(h)
    blank.write('        ', 148, 'ascii')
    expect(stored).toBe(blank.reduce((a, b) => a + b, 0))
    expect(() => tarHeader({ name: 'x'.repeat(101), mode: 0o644, size: 0, mtime: 0 })).toThrow(
      /longer than 100/,
    )
  })

  it('system tar reads the archive back: names, modes and bytes', async () => {
    const archive = join(scratch, 'a.tar.gz')
    const exe = Buffer.alloc(70_001, 7)
    await writeTarGz(archive, [
      { name: 'workflow-plugin-bento', mode: 0o755, data: exe, mtime: 1_700_000_000 },
      { name: 'plugin.json', mode: 0o644, data: Buffer.from('{"version":"1.2.3"}'), mtime: 1_700_000_000 },
      { name: 'LICENSE', mode: 0o644, data: Buffer.alloc(0), mtime: 1_700_000_000 },
    ])
    const out = join(scratch, 'out')
    mkdirSync(out)
    execFileSync('tar', ['-xzf', archive, '-C', out])
    expect(readFileSync(join(out, 'workflow-plugin-bento')).equals(exe)).toBe(true)
    expect(statSync(join(out, 'workflow-plugin-bento')).mode & 0o777).toBe(0o755)
    expect(readFileSync(join(out, 'plugin.json'), 'utf8')).toBe('{"version":"1.2.3"}')
    expect(statSync(join(out, 'LICENSE')).size).toBe(0)
    const listing = execFileSync('tar', ['-tvzf', archive], { encoding: 'utf8' })
    expect(listing).toMatch(/^-rwxr-xr-x root\/root\s+70001 /m)
  })
})

describe('checksums', () => {
  it('are sha256sum lines sorted by file name', () => {
    expect(
      checksumsText([
        { name: 'workflow-plugin-bento-linux-arm64.tar.gz', sha256: 'b'.repeat(64) },
        { name: 'workflow-plugin-bento-darwin-amd64.tar.gz', sha256: 'a'.repeat(64) },
      ]),
    ).toBe(
      `${'a'.repeat(64)}  workflow-plugin-bento-darwin-amd64.tar.gz\n${'b'.repeat(64)}  workflow-plugin-bento-linux-arm64.tar.gz\n`,
    )
  })

  it('cover every plugin archive in the folder, and sha256sum -c agrees', async () => {
    const dir = join(scratch, 'release')
    mkdirSync(dir)
    writeFileSync(join(dir, 'workflow-plugin-bento-linux-amd64.tar.gz'), 'one')
    writeFileSync(join(dir, 'workflow-plugin-bento_linux_amd64.tar.gz'), 'one')
    writeFileSync(join(dir, 'workflow-plugin-bento-darwin-arm64.tar.gz'), 'two')
    writeFileSync(join(dir, 'notes.txt'), 'not an archive')
    const text = await writeChecksums(dir, '2.3.4')
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => l.split('  ')[1]),
    ).toEqual([
      'workflow-plugin-bento-darwin-arm64.tar.gz',
      'workflow-plugin-bento-linux-amd64.tar.gz',
      'workflow-plugin-bento_linux_amd64.tar.gz',
    ])
    expect(execFileSync('sha256sum', ['-c', 'checksums.txt'], { cwd: dir, encoding: 'utf8' })).toContain(
      'workflow-plugin-bento-linux-amd64.tar.gz: OK',
    )
    // the registry manifest: the release version, the downloads built, each with its sha256
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      version: string
      downloads: { os: string; arch: string; url: string; sha256: string }[]
    }
    expect(manifest.version).toBe('2.3.4')
    expect(
      manifest.downloads.map((d) => [d.os, d.arch, d.url.split('/').slice(-2).join('/'), d.sha256]),
    ).toEqual([
      ['darwin', 'arm64', 'v2.3.4/workflow-plugin-bento-darwin-arm64.tar.gz', sha256('two')],
      ['linux', 'amd64', 'v2.3.4/workflow-plugin-bento-linux-amd64.tar.gz', sha256('one')],
    ])
  })

  it('refuse a folder without archives', async () => {
    const empty = join(scratch, 'empty')
    mkdirSync(empty)
    await expect(writeChecksums(empty)).rejects.toThrow(/no workflow-plugin-bento-<os>-<arch>\.tar\.gz/)
  })
})
