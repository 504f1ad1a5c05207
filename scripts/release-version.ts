// `pnpm release:version`: what the changesets action runs to open or update the "Version packages"
// pull request.
//   1. When pending changesets release a workspace package the plugin archive bundles and none of
//      them names the plugin, a patch changeset for @bento-ts/plugin is added: its executable
//      carries that code, so users of the prebuilt plugin get it in a new archive.
//   2. `changeset version`: versions, CHANGELOG.md files, changesets consumed.
//   3. apps/plugin's version (now in its package.json) is written into src/version.ts and
//      plugin.json (its download URLs too), which the executable and the archive carry, and
//      plugin.json is copied to the repository root (what registry sync reads).
//
//   node scripts/release-version.ts [--sync-only]
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import {
  appManifestPath,
  manifestWithVersion,
  rootManifestPath,
  rootManifestProblem,
} from './plugin-manifest.ts'
import {
  isReleased,
  pluginPackage,
  readPackage,
  repoRoot,
  runtimeWorkspaceClosure,
  workspacePackages,
} from './workspace.ts'

export type Bump = 'major' | 'minor' | 'patch' | 'none'

/** The releases a changeset file asks for: its front matter, `"@bento-ts/core": minor` lines. */
export function parseChangeset(text: string): Map<string, Bump> {
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text)?.[1] ?? ''
  const out = new Map<string, Bump>()
  for (const line of front.split(/\r?\n/)) {
    const m = /^\s*["']?([^"':\s]+)["']?\s*:\s*(major|minor|patch|none)\s*$/.exec(line)
    if (m !== null) out.set(m[1]!, m[2] as Bump)
  }
  return out
}

/**
 * The bundled packages the pending changesets release when none of them releases the plugin
 * (then the plugin needs a changeset of its own); empty otherwise.
 */
export function bundledReleases(
  changesets: ReadonlyMap<string, Bump>[],
  bundled: ReadonlySet<string>,
): string[] {
  const released = new Set<string>()
  for (const cs of changesets) {
    for (const [name, bump] of cs) {
      if (bump === 'none') continue
      if (name === pluginPackage) return []
      if (bundled.has(name)) released.add(name)
    }
  }
  return [...released].sort()
}

export function pluginChangeset(released: readonly string[]): string {
  return `---\n"${pluginPackage}": patch\n---\n\nRebuilt with the new releases of ${released.join(', ')} (see their changelogs).\n`
}

/** version.ts with `version` in it. */
export function versionModule(text: string, version: string): string {
  const next = text.replace(/export const version = '[^']*'/, `export const version = '${version}'`)
  if (!next.includes(`export const version = '${version}'`))
    throw new Error(
      `apps/plugin/src/version.ts: no "export const version = '…'" line to write ${version} into`,
    )
  return next
}

const appDir = join(repoRoot, 'apps', 'plugin')

/** Writes apps/plugin's package.json version into src/version.ts and plugin.json; says what changed. */
export function syncPluginVersion(): string[] {
  const version = readPackage('apps/plugin').manifest.version!
  const changed: string[] = []
  for (const [file, rewrite] of [
    ['src/version.ts', versionModule],
    ['plugin.json', manifestWithVersion],
  ] as const) {
    const path = join(appDir, file)
    const text = readFileSync(path, 'utf8')
    const next = rewrite(text, version)
    if (next !== text) {
      writeFileSync(path, next)
      changed.push(`apps/plugin/${file}`)
    }
  }
  if (rootManifestProblem() !== undefined) {
    writeFileSync(rootManifestPath, readFileSync(appManifestPath, 'utf8'))
    changed.push('plugin.json')
  }
  return changed
}

function addPluginChangeset(): void {
  const dir = join(repoRoot, '.changeset')
  const pending = readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => parseChangeset(readFileSync(join(dir, f), 'utf8')))
  const packages = workspacePackages()
  const released = new Set(packages.filter(isReleased).map((p) => p.manifest.name!))
  const bundled = new Set(
    [...runtimeWorkspaceClosure(pluginPackage, packages)].filter((n) => released.has(n)),
  )
  const names = bundledReleases(pending, bundled)
  if (names.length === 0) return
  const file = join(dir, 'plugin-bundles-new-releases.md')
  if (existsSync(file)) return
  writeFileSync(file, pluginChangeset(names))
  process.stderr.write(`added .changeset/plugin-bundles-new-releases.md (${names.join(', ')})\n`)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  if (!process.argv.includes('--sync-only')) {
    addPluginChangeset()
    const changeset = join(repoRoot, 'node_modules', '@changesets', 'cli', 'bin.js')
    execFileSync(process.execPath, [changeset, 'version'], { cwd: repoRoot, stdio: 'inherit' })
  }
  const changed = syncPluginVersion()
  process.stderr.write(
    changed.length > 0 ? `wrote the plugin version into ${changed.join(', ')}\n` : 'plugin version in sync\n',
  )
}
