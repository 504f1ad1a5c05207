// The plugin's manifest as the workflow ecosystem reads it. apps/plugin/plugin.json is the one
// source; from it come
//   - plugin.json at the repository root: what workflow-registry's sync reads at a tag, kept
//     byte-equal (`node scripts/plugin-manifest.ts --check`, part of `pnpm test:scripts`; `--fix`
//     copies it);
//   - plugin.contracts.json in the archive: its `contracts`, the file `wfctl plugin validate
//     --strict-contracts` looks for beside plugin.json;
//   - the registry manifest (dist/release/manifest.json, written with checksums.txt): the same
//     manifest with each download's sha256, the file a pull request to GoCodeAlone/workflow-registry
//     puts at plugins/bento/manifest.json.
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { repoRoot } from './workspace.ts'

export const appManifestPath = join(repoRoot, 'apps', 'plugin', 'plugin.json')
export const rootManifestPath = join(repoRoot, 'plugin.json')

/** The Go plugin (GoCodeAlone/workflow-plugin-bento) ends at 1.1.5; ours continue above its line. */
export const goPluginLine = '1.1.5'

export interface Download {
  os: string
  arch: string
  url: string
  sha256?: string
}

export interface PluginManifest {
  name: string
  version: string
  contracts: Record<string, unknown>[]
  downloads: Download[]
  [field: string]: unknown
}

const releaseTag = /(\/releases\/download\/)v[^/]+\//g

/** plugin.json text with its version and its download URLs' release tag set, the rest untouched. */
export function manifestWithVersion(text: string, version: string): string {
  const parsed = JSON.parse(text) as { version?: unknown }
  if (typeof parsed.version !== 'string') throw new Error('apps/plugin/plugin.json: no "version" string')
  // The first "version" key in the file is the top-level one: plugin.json nests no objects before it.
  const next = text
    .replace(/("version"\s*:\s*)"[^"]*"/, `$1"${version}"`)
    .replace(releaseTag, `$1v${version}/`)
  if ((JSON.parse(next) as { version: string }).version !== version)
    throw new Error('apps/plugin/plugin.json: could not write the version')
  return next
}

/** plugin.contracts.json: the manifest's contracts in the file form wfctl reads. */
export function contractsFile(manifest: PluginManifest): string {
  return `${JSON.stringify({ version: '1', contracts: manifest.contracts }, null, 2)}\n`
}

/**
 * The registry manifest: downloads whose archive is in `checksums` (file name → sha256), with
 * their sha256; an archive the manifest does not list is an error, so none is published unnamed.
 */
export function registryManifest(manifest: PluginManifest, checksums: ReadonlyMap<string, string>): string {
  const byName = new Map(manifest.downloads.map((d) => [d.url.slice(d.url.lastIndexOf('/') + 1), d]))
  const downloads: Download[] = []
  for (const [name, sha256] of checksums) {
    const download = byName.get(name)
    if (download !== undefined) downloads.push({ ...download, sha256 })
  }
  if (downloads.length === 0)
    throw new Error(
      `registry manifest: none of ${[...checksums.keys()].join(', ')} is a download of plugin.json (${[...byName.keys()].join(', ')})`,
    )
  return `${JSON.stringify({ ...manifest, downloads }, null, 2)}\n`
}

/** `sha256  name` lines (checksums.txt) as a map. */
export function parseChecksums(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line.trim())
    if (m !== null) out.set(m[2]!, m[1]!)
  }
  return out
}

/** What is wrong with the root plugin.json, or undefined when it equals apps/plugin's. */
export function rootManifestProblem(): string | undefined {
  let root: string
  try {
    root = readFileSync(rootManifestPath, 'utf8')
  } catch {
    return 'plugin.json is missing at the repository root (registry sync reads it there)'
  }
  if (root !== readFileSync(appManifestPath, 'utf8'))
    return 'plugin.json at the repository root differs from apps/plugin/plugin.json; run node scripts/plugin-manifest.ts --fix'
  return undefined
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  if (process.argv.includes('--fix')) {
    writeFileSync(rootManifestPath, readFileSync(appManifestPath, 'utf8'))
  } else {
    const problem = rootManifestProblem()
    if (problem !== undefined) {
      process.stderr.write(`${problem}\n`)
      process.exit(1)
    }
  }
}
