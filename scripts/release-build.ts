// `pnpm release:build`: the prebuilt plugin for this machine's platform, as a GitHub release
// carries it.
//   dist/release/workflow-plugin-bento-<os>-<arch>.tar.gz   the single executable, plugin.json with
//                                                           the release version, plugin.contracts.json,
//                                                           LICENSE (flat, so it unpacks straight
//                                                           into a plugin dir; wfctl renames the one
//                                                           executable to its dir's name, bento/bento)
//   dist/release/workflow-plugin-bento_<os>_<arch>.tar.gz   the same archive under the name
//                                                           `wfctl plugin install owner/repo@tag` looks for
//   dist/release/checksums.txt                              sha256sum lines for every archive there
//   dist/release/manifest.json                              the registry manifest (downloads with
//                                                           sha256) for GoCodeAlone/workflow-registry
// The version is apps/plugin/package.json's (`changeset version` sets it); the executable is built
// afresh and must report that same version, so a stale src/version.ts cannot be released.
//
//   node scripts/release-build.ts [--out <dir>] [--node <node24>]
//   node scripts/release-build.ts --checksums-only [--out <dir>]   (the release job, over all archives)
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { constants, createGzip } from 'node:zlib'
import { buildExe, exeName } from '../apps/plugin/scripts/build-exe.ts'
import {
  appManifestPath,
  contractsFile,
  goPluginLine,
  manifestWithVersion,
  type PluginManifest,
  parseChecksums,
  registryManifest,
} from './plugin-manifest.ts'
import { readPackage, repoRoot } from './workspace.ts'

/** GOOS/GOARCH names, as wfctl and the original Go plugin's archives use them. */
export function platformName(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): { os: string; arch: string } {
  const os = ({ linux: 'linux', darwin: 'darwin' } as Record<string, string>)[platform]
  const goArch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[arch]
  if (os === undefined || goArch === undefined)
    throw new Error(
      `release:build: no prebuilt plugin for ${platform}/${arch} (linux and darwin, x64 and arm64)`,
    )
  return { os, arch: goArch }
}

export const archiveName = (os: string, arch: string): string => `${exeName}-${os}-${arch}.tar.gz`
/** The name `wfctl plugin install owner/repo@tag` matches (`{repo}_{os}_{arch}.tar.gz`). */
export const wfctlArchiveName = (os: string, arch: string): string => `${exeName}_${os}_${arch}.tar.gz`
const isArchive = (f: string) =>
  (f.startsWith(`${exeName}-`) || f.startsWith(`${exeName}_`)) && f.endsWith('.tar.gz')

/**
 * The workflow host accepts only MAJOR.MINOR.PATCH (an optional leading v); no pre-releases. And
 * the major is above the Go plugin's, so a `requires: bento >=1.0.0` resolves to ours.
 */
export function checkPluginVersion(version: string): void {
  if (!/^\d+\.\d+\.\d+$/.test(version))
    throw new Error(
      `release:build: apps/plugin version "${version}" is not MAJOR.MINOR.PATCH, which the workflow host requires of plugin.json`,
    )
  if (Number(version.split('.')[0]) <= Number(goPluginLine.split('.')[0]))
    throw new Error(
      `release:build: apps/plugin version "${version}" must be above the Go plugin's line (${goPluginLine}): a major of 2 or more`,
    )
}

export interface TarEntry {
  name: string
  mode: number
  data: Buffer
  /** seconds since the epoch */
  mtime: number
}

function octal(value: number, width: number): string {
  const digits = value.toString(8)
  if (digits.length > width - 1) throw new Error(`tar: ${value} does not fit in ${width - 1} octal digits`)
  return `${digits.padStart(width - 1, '0')}\0`
}

/** A POSIX ustar header for a regular file owned by root. */
export function tarHeader(entry: Omit<TarEntry, 'data'> & { size: number }): Buffer {
  const name = Buffer.from(entry.name, 'utf8')
  if (name.length > 100) throw new Error(`tar: name longer than 100 bytes: ${entry.name}`)
  const h = Buffer.alloc(512)
  name.copy(h, 0)
  h.write(octal(entry.mode, 8), 100, 'ascii')
  h.write(octal(0, 8), 108, 'ascii') // uid
  h.write(octal(0, 8), 116, 'ascii') // gid
  h.write(octal(entry.size, 12), 124, 'ascii')
  h.write(octal(entry.mtime, 12), 136, 'ascii')
  h.write('        ', 148, 'ascii') // the checksum counts its own field as spaces
  h.write('0', 156, 'ascii') // regular file
  h.write('ustar\u000000', 257, 'ascii')
  h.write('root', 265, 'ascii')
  h.write('root', 297, 'ascii')
  let sum = 0
  for (const byte of h) sum += byte
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii')
  return h
}

/** The tar stream of the entries: header, data padded to 512 bytes, two zero blocks at the end. */
export function* tarChunks(entries: readonly TarEntry[]): Generator<Buffer> {
  for (const e of entries) {
    yield tarHeader({ name: e.name, mode: e.mode, size: e.data.length, mtime: e.mtime })
    yield e.data
    const pad = (512 - (e.data.length % 512)) % 512
    if (pad > 0) yield Buffer.alloc(pad)
  }
  yield Buffer.alloc(1024)
}

export async function writeTarGz(path: string, entries: readonly TarEntry[]): Promise<void> {
  await pipeline(
    Readable.from(tarChunks(entries)),
    createGzip({ level: constants.Z_BEST_COMPRESSION }),
    createWriteStream(path),
  )
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** `sha256sum` output (two spaces), sorted by file name: what wfctl reads from checksums.txt. */
export function checksumsText(files: readonly { name: string; sha256: string }[]): string {
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join('')
}

/**
 * Writes `<dir>/checksums.txt` for every plugin archive in dir, and `<dir>/manifest.json`, the
 * registry manifest with their sha256 (from the archives' plugin.json: apps/plugin's at `version`);
 * returns the checksums text.
 */
export async function writeChecksums(dir: string, version?: string): Promise<string> {
  const archives = readdirSync(dir).filter(isArchive)
  if (archives.length === 0) throw new Error(`release:build: no ${exeName}-<os>-<arch>.tar.gz in ${dir}`)
  const files = await Promise.all(
    archives.map(async (name) => ({ name, sha256: await sha256File(join(dir, name)) })),
  )
  const text = checksumsText(files)
  writeFileSync(join(dir, 'checksums.txt'), text)
  const manifest = JSON.parse(releaseManifest(version ?? readPackage('apps/plugin').manifest.version!))
  writeFileSync(
    join(dir, 'manifest.json'),
    registryManifest(manifest as PluginManifest, parseChecksums(text)),
  )
  return text
}

/** apps/plugin/plugin.json at the release version: what the archive carries. */
export const releaseManifest = (version: string): string =>
  manifestWithVersion(readFileSync(appManifestPath, 'utf8'), version)

export interface ReleaseBuild {
  version: string
  archive: string
  checksums: string
}

export async function releaseBuild(options: { out: string; nodeArgs?: string[] }): Promise<ReleaseBuild> {
  const version = readPackage('apps/plugin').manifest.version!
  checkPluginVersion(version)
  const { os, arch } = platformName()
  const exe = await buildExe(options.nodeArgs ?? [])
  const reported = execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim()
  if (reported !== version)
    throw new Error(
      `release:build: the executable reports version ${reported}, apps/plugin/package.json says ${version}; run node scripts/release-version.ts --sync-only`,
    )
  const mtime = Math.floor(Date.now() / 1000)
  const manifest = releaseManifest(version)
  const entries: TarEntry[] = [
    { name: exeName, mode: 0o755, data: readFileSync(exe), mtime },
    { name: 'plugin.json', mode: 0o644, data: Buffer.from(manifest), mtime },
    {
      name: 'plugin.contracts.json',
      mode: 0o644,
      data: Buffer.from(contractsFile(JSON.parse(manifest) as PluginManifest)),
      mtime,
    },
    { name: 'LICENSE', mode: 0o644, data: readFileSync(join(repoRoot, 'LICENSE')), mtime },
  ]
  mkdirSync(options.out, { recursive: true })
  const archive = join(options.out, archiveName(os, arch))
  await writeTarGz(archive, entries)
  copyFileSync(archive, join(options.out, wfctlArchiveName(os, arch)))
  await writeChecksums(options.out, version)
  return { version, archive, checksums: join(options.out, 'checksums.txt') }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2).filter((a) => a !== '--')
  const at = args.indexOf('--out')
  // pnpm runs root scripts in the root; a relative --out means the caller's folder.
  const { INIT_CWD: base = process.cwd() } = process.env
  const out =
    at >= 0 && args[at + 1] !== undefined ? resolve(base, args[at + 1]!) : join(repoRoot, 'dist', 'release')
  if (args.includes('--checksums-only')) {
    process.stdout.write(await writeChecksums(out))
  } else {
    const nodeAt = args.indexOf('--node')
    const nodeArgs = nodeAt >= 0 ? args.slice(nodeAt, nodeAt + 2) : []
    const built = await releaseBuild({ out, nodeArgs })
    process.stderr.write(`workflow-plugin-bento ${built.version}: ${built.archive}\n`)
    process.stdout.write(readFileSync(built.checksums, 'utf8'))
  }
}
