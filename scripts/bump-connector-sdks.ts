// `pnpm bump-sdks`: moves each connector SDK in every workspace package.json to its newest release that can be installed, then refreshes the lockfile, writes
// one patch changeset per released package that changed, builds and runs the README test command.
// The weekly workflow (.github/workflows/bump-connector-sdks.yml) opens the pull request from that.
//
// The SDKs are every registry dependency of a connector package (a workspace package taking
// @bento-ts/core as a peer: the connectors, the kits, a package new:connector made), so a new
// package's SDK joins the bump with nothing to list; scripts/connector-sdks.json names only the
// libraries outside connector packages the bump also keeps current (otherSdks) and the holds.
//
// A candidate is the registry's `latest` or an older release newer than ours (no pre-releases, no
// deprecated ones). It is taken only if no hold in connector-sdks.json excludes it, its
// engines.node admits our Node, and every one of its dependencies has a published version in
// range: @google-cloud/pubsub 6.3.2 asked for an @google-cloud/pubsub-api that was never
// published, and a lockfile refresh would have failed on it. Ranges keep their form: an exact pin
// stays exact, `^`/`~`/`>=` keep their operator.
//
//   node scripts/bump-connector-sdks.ts --dry-run            the plan, against the real registry
//   node scripts/bump-connector-sdks.ts [--no-verify] [--pr-body <file>]
//   node scripts/bump-connector-sdks.ts --dry-run --record <dir>   also save the registry answers
//                                                                 (trimmed) as test fixtures
import { execFileSync } from 'node:child_process'
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import semver from 'semver'
import {
  type DependencyField,
  dependencyFields,
  isReleased,
  pluginPackage,
  repoRoot,
  runtimeWorkspaceClosure,
  type WorkspacePackage,
  workspacePackages,
} from './workspace.ts'

export interface VersionInfo {
  version: string
  dependencies?: Record<string, string>
  deprecated?: string
  engines?: { node?: string }
}

/** What the registry says of a package (the abbreviated "corgi" document has all we read). */
export interface Packument {
  name: string
  'dist-tags': { latest?: string }
  versions: Record<string, VersionInfo>
}

/** A package's registry document, or undefined when the registry has no such package. */
export type Registry = (name: string) => Promise<Packument | undefined>

export interface Hold {
  reason: string
  /** versions never to pick */
  skip?: string[]
  /** a semver range every pick must satisfy */
  allow?: string
}

export interface SdkConfig {
  sdks: string[]
  holds: Record<string, Hold>
}

export interface Usage {
  dir: string
  name: string
  field: DependencyField
  spec: string
}

export interface Update extends Usage {
  to: string
}

export interface SdkPlan {
  sdk: string
  usages: Usage[]
  /** the oldest version our ranges start at */
  current?: string
  /** the registry's latest tag */
  latest?: string
  /** the version to move to; undefined when we are on the newest installable one */
  target?: string
  /** newer releases not taken, newest first, with why */
  rejected: { version: string; reason: string }[]
  updates: Update[]
  /** usages whose range we cannot rewrite (workspace:, git, ||, …), with why */
  skipped: { usage: Usage; reason: string }[]
  /** the registry knows no such package */
  missing?: boolean
}

export interface ChangesetPlan {
  name: string
  dir: string
  /** what changed for it: `kafkajs 2.2.4 → 2.3.0` lines, or the bundled packages for the plugin */
  lines: string[]
}

export interface Plan {
  sdks: SdkPlan[]
  changesets: ChangesetPlan[]
}

const exactVersion = /^(\^|~|>=|=)?v?(\d+\.\d+\.\d+)$/

/** The range `spec` moved to `version`, in the same form; undefined when it has no simple form. */
export function rewriteRange(spec: string, version: string): string | undefined {
  const m = exactVersion.exec(spec.trim())
  if (m === null) return undefined
  return `${m[1] ?? ''}${version}`
}

export function usagesOf(sdk: string, packages: readonly WorkspacePackage[]): Usage[] {
  const out: Usage[] = []
  for (const pkg of packages) {
    for (const field of dependencyFields) {
      // Peer ranges say what we accept from users; widening them is a decision, not a bump.
      if (field === 'peerDependencies') continue
      const spec = pkg.manifest[field]?.[sdk]
      if (spec !== undefined) out.push({ dir: pkg.dir, name: pkg.manifest.name ?? pkg.dir, field, spec })
    }
  }
  return out
}

/** Why `version` of a package cannot be picked, or undefined when it can. */
export async function rejection(
  info: VersionInfo,
  hold: Hold | undefined,
  node: string,
  registry: Registry,
): Promise<string | undefined> {
  const reasons: string[] = []
  if (hold?.skip?.includes(info.version)) reasons.push(`held: ${hold.reason}`)
  else if (hold?.allow !== undefined && !semver.satisfies(info.version, hold.allow))
    reasons.push(`held to ${hold.allow}: ${hold.reason}`)
  const engines = info.engines?.node
  if (engines !== undefined && semver.validRange(engines) !== null && !semver.satisfies(node, engines))
    reasons.push(`needs Node ${engines}, we run ${node}`)
  const problems = await unresolvableDependencies(info, registry)
  if (problems.length > 0) reasons.push(`not installable: ${problems.join('; ')}`)
  return reasons.length > 0 ? reasons.join('; ') : undefined
}

/** The dependencies of a release that no published version satisfies. */
export async function unresolvableDependencies(info: VersionInfo, registry: Registry): Promise<string[]> {
  const problems: string[] = []
  for (const [dep, range] of Object.entries(info.dependencies ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    // npm:, git, file: and URL dependencies are not registry ranges; pnpm resolves those itself.
    if (semver.validRange(range) === null) continue
    const doc = await registry(dep)
    if (doc === undefined) {
      problems.push(`depends on ${dep}@${range}, which is not on the registry`)
      continue
    }
    if (semver.maxSatisfying(Object.keys(doc.versions), range) === null) {
      const newest = doc['dist-tags'].latest
      problems.push(
        `depends on ${dep}@${range}, which has no published version${newest === undefined ? '' : ` (newest ${newest})`}`,
      )
    }
  }
  return problems
}

export async function planSdk(
  sdk: string,
  packages: readonly WorkspacePackage[],
  config: SdkConfig,
  registry: Registry,
  node: string,
): Promise<SdkPlan> {
  const usages = usagesOf(sdk, packages)
  const plan: SdkPlan = { sdk, usages, rejected: [], updates: [], skipped: [] }
  const rewritable: Usage[] = []
  for (const usage of usages) {
    if (semver.validRange(usage.spec) === null || exactVersion.exec(usage.spec.trim()) === null)
      plan.skipped.push({
        usage,
        reason: `range "${usage.spec}" is not one version with ^, ~, >= or nothing`,
      })
    else rewritable.push(usage)
  }
  if (rewritable.length === 0) return plan
  const floors = rewritable.map((u) => semver.minVersion(u.spec)!.version)
  plan.current = floors.reduce((a, b) => (semver.lt(a, b) ? a : b))

  const doc = await registry(sdk)
  if (doc === undefined) {
    plan.missing = true
    return plan
  }
  const latest = doc['dist-tags'].latest
  plan.latest = latest
  if (latest === undefined) return plan
  const candidates = Object.values(doc.versions)
    .filter(
      (v) =>
        semver.valid(v.version) !== null &&
        semver.prerelease(v.version) === null &&
        v.deprecated === undefined &&
        semver.lte(v.version, latest) &&
        semver.gt(v.version, plan.current!),
    )
    .sort((a, b) => semver.rcompare(a.version, b.version))
  for (const candidate of candidates) {
    const reason = await rejection(candidate, config.holds[sdk], node, registry)
    if (reason === undefined) {
      plan.target = candidate.version
      break
    }
    plan.rejected.push({ version: candidate.version, reason })
  }
  if (plan.target !== undefined) {
    for (const usage of rewritable) {
      if (semver.gte(semver.minVersion(usage.spec)!.version, plan.target)) continue
      plan.updates.push({ ...usage, to: rewriteRange(usage.spec, plan.target)! })
    }
  }
  return plan
}

/** One patch changeset per released package an update touches, and one for the plugin if it bundles one. */
export function planChangesets(
  sdks: readonly SdkPlan[],
  packages: readonly WorkspacePackage[],
): ChangesetPlan[] {
  const byDir = new Map<string, ChangesetPlan>()
  for (const sdk of sdks) {
    for (const u of sdk.updates) {
      const pkg = packages.find((p) => p.dir === u.dir)
      if (pkg === undefined || !isReleased(pkg)) continue
      const entry = byDir.get(u.dir) ?? { name: u.name, dir: u.dir, lines: [] }
      const line = `${sdk.sdk} ${semver.minVersion(u.spec)!.version} → ${sdk.target}`
      if (!entry.lines.includes(line)) entry.lines.push(line)
      byDir.set(u.dir, entry)
    }
  }
  const out = [...byDir.values()].sort((a, b) => a.dir.localeCompare(b.dir))
  const plugin = packages.find((p) => p.manifest.name === pluginPackage)
  if (plugin !== undefined && !byDir.has(plugin.dir)) {
    const bundled = runtimeWorkspaceClosure(pluginPackage, packages)
    const carried = out.filter((c) => bundled.has(c.name))
    if (carried.length > 0)
      out.push({
        name: pluginPackage,
        dir: plugin.dir,
        lines: carried.flatMap((c) => c.lines.map((l) => `${l} (in ${c.name})`)),
      })
  }
  return out
}

export async function planBumps(
  packages: readonly WorkspacePackage[],
  config: SdkConfig,
  registry: Registry,
  node: string,
): Promise<Plan> {
  const sdks: SdkPlan[] = []
  for (const sdk of config.sdks) sdks.push(await planSdk(sdk, packages, config, registry, node))
  return { sdks, changesets: planChangesets(sdks, packages) }
}

/** The package.json texts the plan rewrites: `"sdk": "old"` becomes `"sdk": "new"`, nothing else moves. */
export function editedManifests(plan: Plan, packages: readonly WorkspacePackage[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const sdk of plan.sdks) {
    for (const u of sdk.updates) {
      const pkg = packages.find((p) => p.dir === u.dir)!
      const before = out.get(u.dir) ?? pkg.text
      const key = JSON.stringify(sdk.sdk).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
      const value = JSON.stringify(u.spec).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
      const after = before.replace(new RegExp(`(${key}\\s*:\\s*)${value}`, 'g'), `$1${JSON.stringify(u.to)}`)
      const parsed = JSON.parse(after) as Record<string, Record<string, string> | undefined>
      if (parsed[u.field]?.[sdk.sdk] !== u.to)
        throw new Error(`${u.dir}/package.json: could not rewrite ${sdk.sdk}`)
      out.set(u.dir, after)
    }
  }
  return out
}

/** `.changeset/<file>` → text, one per changeset of the plan. */
export function changesetFiles(plan: Plan, date: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const c of plan.changesets) {
    const folder = c.dir.split('/').at(-1)!
    const body =
      c.name === pluginPackage
        ? `The prebuilt plugin bundles the new SDK releases: ${c.lines.join(', ')}.`
        : `Connector SDKs updated: ${c.lines.join(', ')}.`
    out.set(`sdks-${date}-${folder}.md`, `---\n"${c.name}": patch\n---\n\n${body}\n`)
  }
  return out
}

export function formatPlan(plan: Plan): string {
  const lines: string[] = []
  for (const s of plan.sdks) {
    const where = [...new Set(s.usages.map((u) => u.dir))].join(', ')
    if (s.usages.length === 0) {
      lines.push(`${s.sdk}: not used in any workspace package.json`)
      continue
    }
    if (s.missing === true) {
      lines.push(`${s.sdk}: not on the registry (used in ${where})`)
      continue
    }
    const head = `${s.sdk}: ours ${s.current ?? '?'}, latest ${s.latest ?? '?'}`
    if (s.target !== undefined) lines.push(`${head}: → ${s.target}`)
    else if (s.rejected.length > 0) lines.push(`${head}: stays (no newer release can be taken)`)
    else lines.push(`${head}: up to date`)
    for (const r of s.rejected) lines.push(`    skip ${r.version}: ${r.reason}`)
    for (const u of s.updates) lines.push(`    ${u.dir}/package.json ${u.field}: ${u.spec} → ${u.to}`)
    for (const k of s.skipped)
      lines.push(`    left as is: ${k.usage.dir}/package.json ${k.usage.field}: ${k.reason}`)
  }
  if (plan.changesets.length === 0) {
    lines.push('changesets: none (nothing to release)')
  } else {
    lines.push('changesets (patch):')
    for (const c of plan.changesets) lines.push(`    ${c.name}: ${c.lines.join(', ')}`)
  }
  return `${lines.join('\n')}\n`
}

export function prTitle(plan: Plan): string {
  const moved = plan.sdks.filter((s) => s.updates.length > 0).map((s) => `${s.sdk} ${s.target}`)
  return `Connector SDKs: ${moved.join(', ')}`
}

export function prBody(plan: Plan): string {
  const rows = plan.sdks
    .filter((s) => s.updates.length > 0)
    .map((s) => {
      const major =
        s.current !== undefined && s.target !== undefined && semver.major(s.target) > semver.major(s.current)
      return `| \`${s.sdk}\` | ${s.current} | ${s.target}${major ? ' (major: read its changelog)' : ''} | ${[...new Set(s.updates.map((u) => u.dir))].join(', ')} |`
    })
  const held = plan.sdks.flatMap((s) => s.rejected.map((r) => `- \`${s.sdk}\` ${r.version}: ${r.reason}`))
  return [
    'The weekly connector SDK bump (`pnpm bump-sdks`, `.github/workflows/bump-connector-sdks.yml`).',
    '',
    '| SDK | from | to | packages |',
    '|---|---|---|---|',
    ...rows,
    '',
    ...(held.length > 0 ? ['Newer releases not taken:', '', ...held, ''] : []),
    `Changesets (patch): ${plan.changesets.map((c) => `\`${c.name}\``).join(', ')}. The lockfile is refreshed; the build and the README test command passed before this pull request was opened.`,
    '',
    'Merging it lets `release.yml` open the "Version packages" pull request; merging that publishes the packages and, when the plugin version moved, the prebuilt plugin.',
    '',
  ].join('\n')
}

/** The registry over HTTP: abbreviated documents, each package fetched once. */
export function httpRegistry(base: string): Registry {
  const root = base.endsWith('/') ? base : `${base}/`
  const cache = new Map<string, Promise<Packument | undefined>>()
  return (name) => {
    let doc = cache.get(name)
    if (doc === undefined) {
      doc = (async () => {
        const url = `${root}${name.replace('/', '%2f')}`
        const res = await fetch(url, {
          headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' },
        })
        if (res.status === 404) return undefined
        if (!res.ok) throw new Error(`bump-sdks: ${url}: HTTP ${res.status}`)
        return (await res.json()) as Packument
      })()
      cache.set(name, doc)
    }
    return doc
  }
}

/** Fixture file name of a package: `@aws-sdk/client-s3` → `@aws-sdk__client-s3.json`. */
export const fixtureFile = (name: string): string => `${name.replace('/', '__')}.json`

/** Recorded registry answers, as --record saves them. */
export function fixtureRegistry(dir: string): Registry {
  return async (name) => {
    try {
      return JSON.parse(readFileSync(join(dir, fixtureFile(name)), 'utf8')) as Packument
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }
}

/** The newest `keep` releases up to latest of an SDK's document, with what the plan reads of them. */
export function trimSdkPackument(doc: Packument, keep = 12): Packument {
  const latest = doc['dist-tags'].latest
  const kept = Object.keys(doc.versions)
    .filter((v) => semver.valid(v) !== null && (latest === undefined || semver.lte(v, latest)))
    .sort(semver.compare)
    .slice(-keep)
  const versions: Record<string, VersionInfo> = {}
  for (const v of kept) {
    const info = doc.versions[v]!
    versions[v] = {
      version: v,
      ...(info.dependencies !== undefined ? { dependencies: info.dependencies } : {}),
      ...(info.engines?.node !== undefined ? { engines: { node: info.engines.node } } : {}),
      ...(info.deprecated !== undefined ? { deprecated: info.deprecated } : {}),
    }
  }
  return { name: doc.name, 'dist-tags': latest === undefined ? {} : { latest }, versions }
}

/** A dependency's document cut down to its latest and the newest version in each range asked for. */
export function trimDependencyPackument(doc: Packument, ranges: Iterable<string>): Packument {
  const all = Object.keys(doc.versions).filter((v) => semver.valid(v) !== null)
  const latest = doc['dist-tags'].latest
  const kept = new Set<string>(latest !== undefined && latest in doc.versions ? [latest] : [])
  for (const range of ranges) {
    const best = semver.maxSatisfying(all, range)
    if (best !== null) kept.add(best)
  }
  const versions: Record<string, VersionInfo> = {}
  for (const v of [...kept].sort(semver.compare)) versions[v] = { version: v }
  return { name: doc.name, 'dist-tags': latest === undefined ? {} : { latest }, versions }
}

/**
 * Saves the registry's answers about the SDKs as test fixtures: each SDK's newest releases, and
 * for every dependency of those releases the versions that decide whether they resolve.
 */
export async function recordFixtures(
  dir: string,
  sdks: readonly string[],
  registry: Registry,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true })
  const ranges = new Map<string, Set<string>>()
  const written: string[] = []
  for (const sdk of sdks) {
    const doc = await registry(sdk)
    if (doc === undefined) continue
    const trimmed = trimSdkPackument(doc)
    writeFileSync(join(dir, fixtureFile(sdk)), `${JSON.stringify(trimmed, null, 2)}\n`)
    written.push(fixtureFile(sdk))
    for (const info of Object.values(trimmed.versions))
      for (const [dep, range] of Object.entries(info.dependencies ?? {}))
        if (semver.validRange(range) !== null) ranges.set(dep, (ranges.get(dep) ?? new Set()).add(range))
  }
  for (const [dep, wanted] of [...ranges].sort(([a], [b]) => a.localeCompare(b))) {
    const doc = await registry(dep)
    if (doc === undefined) continue
    writeFileSync(
      join(dir, fixtureFile(dep)),
      `${JSON.stringify(trimDependencyPackument(doc, wanted), null, 2)}\n`,
    )
    written.push(fixtureFile(dep))
  }
  return written
}

/**
 * The registry dependencies of the connector packages: the workspace packages that take
 * @bento-ts/core as a peer dependency (connector and kit packages, whatever their folder).
 */
export function connectorSdks(packages: readonly WorkspacePackage[]): string[] {
  const out = new Set<string>()
  for (const pkg of packages) {
    if (pkg.manifest.peerDependencies?.['@bento-ts/core'] === undefined) continue
    for (const [name, spec] of Object.entries(pkg.manifest.dependencies ?? {}))
      if (!spec.startsWith('workspace:')) out.add(name)
  }
  return [...out].sort()
}

/** The SDKs to bump (the connector packages' dependencies, then otherSdks) and the holds. */
export function readConfig(
  path = join(repoRoot, 'scripts', 'connector-sdks.json'),
  packages: readonly WorkspacePackage[] = workspacePackages(),
): SdkConfig {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as {
    sdks?: unknown
    otherSdks?: unknown
    holds?: Record<string, Hold>
  }
  if (raw.sdks !== undefined)
    throw new Error(
      `${path}: "sdks" is gone: the connector packages' dependencies are bumped without a list; name other libraries in "otherSdks"`,
    )
  const other = raw.otherSdks ?? []
  if (!Array.isArray(other) || !other.every((s) => typeof s === 'string'))
    throw new Error(`${path}: "otherSdks" must be a list of package names`)
  for (const [name, hold] of Object.entries(raw.holds ?? {})) {
    if (typeof hold.reason !== 'string' || hold.reason.trim() === '')
      throw new Error(`${path}: holds.${name}: a hold needs its reason`)
    if (hold.allow !== undefined && semver.validRange(hold.allow) === null)
      throw new Error(`${path}: holds.${name}.allow: "${hold.allow}" is not a semver range`)
  }
  return { sdks: [...new Set([...connectorSdks(packages), ...other])], holds: raw.holds ?? {} }
}

function sh(command: string, args: string[]): void {
  process.stderr.write(`$ ${command} ${args.join(' ')}\n`)
  execFileSync(command, args, { cwd: repoRoot, stdio: 'inherit' })
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--')
  const option = (name: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  // Read once: pnpm sets INIT_CWD (where it was called from) and npm_config_registry; Actions
  // sets GITHUB_OUTPUT for step outputs.
  const {
    INIT_CWD: callerDir = '.',
    npm_config_registry: configuredRegistry,
    GITHUB_OUTPUT: stepOutputs,
  } = process.env
  const dryRun = args.includes('--dry-run')
  const record = option('--record')
  const config = readConfig()
  const node = readFileSync(join(repoRoot, '.node-version'), 'utf8').trim()
  const registryUrl = option('--registry') ?? configuredRegistry ?? 'https://registry.npmjs.org/'
  const registry = httpRegistry(registryUrl)
  if (record !== undefined) {
    const dir = resolve(callerDir, record)
    const files = await recordFixtures(dir, config.sdks, registry)
    process.stderr.write(`recorded ${files.length} registry answers in ${dir}\n`)
  }
  const packages = workspacePackages()
  const plan = await planBumps(packages, config, registry, node)
  process.stdout.write(`connector SDKs against ${registryUrl} (Node ${node})\n${formatPlan(plan)}`)
  const changed = plan.sdks.some((s) => s.updates.length > 0)
  if (dryRun || !changed) {
    if (!dryRun) process.stdout.write('nothing to bump\n')
    if (stepOutputs !== undefined && !dryRun) appendFileSync(stepOutputs, 'changed=false\n')
    return
  }

  for (const [dir, text] of editedManifests(plan, packages))
    writeFileSync(join(repoRoot, dir, 'package.json'), text)
  const date = new Date().toISOString().slice(0, 10)
  for (const [file, text] of changesetFiles(plan, date))
    writeFileSync(join(repoRoot, '.changeset', file), text)
  sh('pnpm', ['install', '--no-frozen-lockfile'])
  if (!args.includes('--no-verify')) {
    sh('pnpm', ['build'])
    sh('pnpm', ['test'])
  }
  const bodyPath = option('--pr-body')
  if (bodyPath !== undefined) writeFileSync(resolve(callerDir, bodyPath), prBody(plan))
  if (stepOutputs !== undefined) appendFileSync(stepOutputs, `changed=true\ntitle=${prTitle(plan)}\n`)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await main()
}
