// The workspace as the release scripts see it: every package.json pnpm-workspace.yaml lists, with
// its folder relative to the repository root. Shared by package-metadata, check-packages,
// bump-connector-sdks and release-version.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const repoRoot = resolve(import.meta.dirname, '..')

export type Manifest = Record<string, unknown> & {
  name?: string
  version?: string
  private?: boolean
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

export interface WorkspacePackage {
  /** folder relative to the repository root, with forward slashes: `packages/kafka` */
  dir: string
  manifest: Manifest
  /** the file's text as read, to write back only what changed */
  text: string
}

/** The package folders pnpm-workspace.yaml's `packages:` list names (`dir/*` globs or plain folders). */
export function workspaceDirs(root: string = repoRoot): string[] {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
  const block = /^packages:\s*\n((?:[ \t]+-.*\n?)+)/m.exec(yaml)?.[1] ?? ''
  const patterns = [...block.matchAll(/^[ \t]+-[ \t]*['"]?([^'"\n#]+?)['"]?[ \t]*$/gm)].map((m) => m[1]!)
  const dirs: string[] = []
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2)
      if (!existsSync(join(root, parent))) continue
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true }).sort((a, b) =>
        a.name.localeCompare(b.name),
      )) {
        if (entry.isDirectory() && existsSync(join(root, parent, entry.name, 'package.json')))
          dirs.push(`${parent}/${entry.name}`)
      }
    } else if (existsSync(join(root, pattern, 'package.json'))) {
      dirs.push(pattern)
    }
  }
  return dirs
}

export function readPackage(dir: string, root: string = repoRoot): WorkspacePackage {
  const text = readFileSync(join(root, dir, 'package.json'), 'utf8')
  return { dir, manifest: JSON.parse(text) as Manifest, text }
}

export function workspacePackages(root: string = repoRoot): WorkspacePackage[] {
  return workspaceDirs(root).map((dir) => readPackage(dir, root))
}

/** The root package.json. */
export function rootManifest(root: string = repoRoot): Manifest {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest
}

/** package.json text as pnpm and npm write it: two spaces, a final newline. */
export function manifestText(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`
}

/** Writes the manifest when its text differs from what was read; says whether it wrote. */
export function writePackage(pkg: WorkspacePackage, manifest: Manifest, root: string = repoRoot): boolean {
  const text = manifestText(manifest)
  if (text === pkg.text) return false
  writeFileSync(join(root, pkg.dir, 'package.json'), text)
  return true
}

/**
 * The one private package we release anyway: apps/plugin ships as prebuilt archives on GitHub
 * releases, not on npm, and its archive bundles every workspace package it depends on.
 */
export const pluginPackage = '@bento-ts/plugin'

/** Published to npm: under packages/ and not private. */
export function isPublishable(pkg: WorkspacePackage): boolean {
  return pkg.dir.startsWith('packages/') && pkg.manifest.private !== true
}

/** Given a version by changesets: published to npm, or the plugin app. */
export function isReleased(pkg: WorkspacePackage): boolean {
  return isPublishable(pkg) || pkg.manifest.name === pluginPackage
}

export const dependencyFields = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
] as const
export type DependencyField = (typeof dependencyFields)[number]

/**
 * Workspace packages `name` depends on at run time (dependencies, optional and peer
 * dependencies), directly or through other workspace packages; `name` itself excluded.
 */
export function runtimeWorkspaceClosure(name: string, packages: readonly WorkspacePackage[]): Set<string> {
  const byName = new Map(packages.map((p) => [p.manifest.name, p]))
  const seen = new Set<string>()
  const visit = (n: string) => {
    const pkg = byName.get(n)
    if (pkg === undefined) return
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies'] as const) {
      for (const dep of Object.keys(pkg.manifest[field] ?? {})) {
        if (byName.has(dep) && !seen.has(dep)) {
          seen.add(dep)
          visit(dep)
        }
      }
    }
  }
  visit(name)
  seen.delete(name)
  return seen
}
