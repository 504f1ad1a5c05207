// Checks the package.json fields and README every npm package of ours needs, and with --fix writes
// the fields that have one right value (repository, homepage, bugs, license, engines, type, files,
// exports order, publishConfig, keywords). Packages under packages/ that are not private are
// checked; `private: true` ones (test-services) are skipped.
//
//   node scripts/package-metadata.ts [--fix] [packages/<dir>…]
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import semver from 'semver'
import {
  isPublishable,
  type Manifest,
  repoRoot,
  rootManifest,
  type WorkspacePackage,
  workspacePackages,
  writePackage,
} from './workspace.ts'

/** What every package's fields are derived from: the root package.json. */
export interface Conventions {
  /** `https://github.com/<owner>/<repo>` */
  repoWeb: string
  /** `git+https://github.com/<owner>/<repo>.git` */
  repoGit: string
  license: string
  /** engines.node of every package */
  node: string
  /** npm scope every package name is in, with the @ */
  scope: string
  keywords: readonly string[]
  /** names of private workspace packages: never a run-time dependency of a published one */
  privateNames: ReadonlySet<string>
}

export function conventionsFrom(root: Manifest, privateNames: Iterable<string> = []): Conventions {
  const repo = root.repository as { url?: string } | string | undefined
  const url = typeof repo === 'string' ? repo : repo?.url
  const match = url === undefined ? null : /github\.com[/:]([^/]+)\/([^/.]+?)(?:\.git)?\/?$/.exec(url)
  if (match === null)
    throw new Error(`package.json (root): repository.url must be a GitHub repository, got ${String(url)}`)
  const [, owner, name] = match
  if (typeof root.license !== 'string') throw new Error('package.json (root): license is missing')
  return {
    repoWeb: `https://github.com/${owner}/${name}`,
    repoGit: `git+https://github.com/${owner}/${name}.git`,
    license: root.license,
    node: '>=24',
    scope: '@bento-ts',
    keywords: ['bento', 'bento-ts', 'stream-processing'],
    privateNames: new Set(privateNames),
  }
}

export interface Problem {
  field: string
  message: string
  /** --fix writes the right value */
  fixable: boolean
}

/** The fields that have exactly one right value for the package in folder `dir`. */
export function expectedFields(dir: string, c: Conventions) {
  return {
    type: 'module',
    license: c.license,
    repository: { type: 'git', url: c.repoGit, directory: dir },
    homepage: `${c.repoWeb}/tree/main/${dir}#readme`,
    bugs: { url: `${c.repoWeb}/issues` },
    engines: { node: c.node },
    publishConfig: { access: 'public' },
  } as const
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Problems with one `exports` value at `path` (`exports["./kit"]`): conditions objects list
 * `types` first (TypeScript takes the first condition that matches), types are .d.ts files and
 * runtime files .js, both under ./dist/.
 */
function exportProblems(value: unknown, path: string, out: Problem[]): void {
  if (typeof value === 'string') {
    if (!value.startsWith('./'))
      out.push({ field: path, message: `"${value}" must start with ./`, fixable: false })
    return
  }
  if (!isRecord(value)) {
    out.push({ field: path, message: 'must be a path or a conditions object', fixable: false })
    return
  }
  const keys = Object.keys(value)
  if (keys.includes('types') && keys[0] !== 'types')
    out.push({
      field: path,
      message: `"types" must be the first condition (is: ${keys.join(', ')})`,
      fixable: true,
    })
  const leafConditions = keys.filter((k) => typeof value[k] === 'string')
  if (leafConditions.length > 0 && !keys.includes('types') && !keys.some((k) => isRecord(value[k])))
    out.push({ field: path, message: 'has no "types" condition', fixable: false })
  if (leafConditions.length > 0 && !keys.includes('default'))
    out.push({ field: path, message: 'has no "default" condition', fixable: false })
  for (const key of keys) {
    const target = value[key]
    if (isRecord(target)) {
      exportProblems(target, `${path}.${key}`, out)
      continue
    }
    if (typeof target !== 'string') continue
    if (key === 'types' && !/^\.\/dist\/.*\.d\.ts$/.test(target))
      out.push({
        field: `${path}.types`,
        message: `"${target}" must be a .d.ts file under ./dist/`,
        fixable: false,
      })
    if (key !== 'types' && !/^\.\/dist\/.*\.js$/.test(target))
      out.push({
        field: `${path}.${key}`,
        message: `"${target}" must be a .js file under ./dist/`,
        fixable: false,
      })
  }
}

export function checkManifest(m: Manifest, dir: string, c: Conventions): Problem[] {
  const out: Problem[] = []
  const folder = dir.split('/').at(-1)!
  if (m.name !== `${c.scope}/${folder}`)
    out.push({
      field: 'name',
      message: `must be "${c.scope}/${folder}" (is ${JSON.stringify(m.name)})`,
      fixable: false,
    })
  if (typeof m.version !== 'string' || semver.valid(m.version) === null)
    out.push({
      field: 'version',
      message: `must be a semver version (is ${JSON.stringify(m.version)})`,
      fixable: false,
    })
  if (typeof m.description !== 'string' || m.description.trim() === '')
    out.push({ field: 'description', message: 'is missing', fixable: false })

  for (const [field, want] of Object.entries(expectedFields(dir, c))) {
    const have = m[field]
    // publishConfig may carry more (e.g. a tag); what we need must be in it.
    const ok = field === 'publishConfig' ? isRecord(have) && have.access === 'public' : sameJson(have, want)
    if (!ok)
      out.push({
        field,
        message: `must be ${JSON.stringify(want)} (is ${have === undefined ? 'missing' : JSON.stringify(have)})`,
        fixable: true,
      })
  }

  const keywords = Array.isArray(m.keywords) ? m.keywords : []
  const missing = c.keywords.filter((k) => !keywords.includes(k))
  if (missing.length > 0)
    out.push({
      field: 'keywords',
      message: `must include ${missing.map((k) => `"${k}"`).join(', ')}`,
      fixable: true,
    })

  const files = Array.isArray(m.files) ? m.files : undefined
  if (files === undefined || !files.includes('dist'))
    out.push({
      field: 'files',
      message: 'must list "dist" (and nothing outside it is needed)',
      fixable: true,
    })

  if (!isRecord(m.exports)) {
    out.push({ field: 'exports', message: 'must be an object of subpaths ("." at least)', fixable: false })
  } else {
    if (!('.' in m.exports)) out.push({ field: 'exports', message: 'has no "." entry', fixable: false })
    if (m.exports['./package.json'] !== './package.json')
      out.push({ field: 'exports["./package.json"]', message: 'must be "./package.json"', fixable: true })
    for (const [subpath, value] of Object.entries(m.exports)) {
      if (subpath === './package.json') continue
      exportProblems(value, `exports["${subpath}"]`, out)
    }
  }

  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies'] as const) {
    for (const dep of Object.keys((m[field] as Record<string, string> | undefined) ?? {})) {
      if (c.privateNames.has(dep))
        out.push({
          field: `${field}.${dep}`,
          message: `is a private workspace package: npm users cannot install it (move it to devDependencies)`,
          fixable: false,
        })
    }
  }
  return out
}

/** The README of a published package: how to install it and one example to run. */
export function checkReadme(text: string | undefined, name: string): Problem[] {
  if (text === undefined) return [{ field: 'README.md', message: 'is missing', fixable: false }]
  const out: Problem[] = []
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  if (!new RegExp(`(?:npm (?:install|i)|pnpm add|yarn add)\\b[^\\n]*${escaped}(?![\\w/-])`).test(text))
    out.push({
      field: 'README.md',
      message: `has no install line (e.g. \`pnpm add ${name}\`)`,
      fixable: false,
    })
  const examples = [...text.matchAll(/^```(ya?ml|ts|typescript|js|javascript)\s*$/gm)]
  if (examples.length === 0)
    out.push({
      field: 'README.md',
      message: 'has no runnable example (a ```yaml config or ```ts code block)',
      fixable: false,
    })
  return out
}

/** Top-level keys in this order; keys not listed keep their order after these. */
const keyOrder = [
  'name',
  'version',
  'private',
  'description',
  'keywords',
  'homepage',
  'bugs',
  'repository',
  'license',
  'author',
  'contributors',
  'type',
  'sideEffects',
  'engines',
  'bin',
  'main',
  'types',
  'exports',
  'files',
  'publishConfig',
  'scripts',
  'dependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'optionalDependencies',
  'devDependencies',
]

export function orderKeys(m: Manifest): Manifest {
  const out: Manifest = {}
  for (const key of keyOrder) if (key in m) out[key] = m[key]
  for (const [key, value] of Object.entries(m)) if (!(key in out)) out[key] = value
  return out
}

/** Conditions objects with `types` first, at every depth. */
function typesFirst(value: unknown): unknown {
  if (!isRecord(value)) return value
  const out: Record<string, unknown> = {}
  if ('types' in value) out.types = value.types
  for (const [k, v] of Object.entries(value)) if (k !== 'types') out[k] = typesFirst(v)
  return out
}

/** The manifest with every fixable problem fixed; everything else left as it was. */
export function fixManifest(m: Manifest, dir: string, c: Conventions): Manifest {
  const out: Manifest = { ...m, ...structuredClone(expectedFields(dir, c)) }
  if (isRecord(m.publishConfig)) out.publishConfig = { ...m.publishConfig, access: 'public' }
  const keywords = Array.isArray(m.keywords) ? (m.keywords as string[]) : []
  out.keywords = [...c.keywords, ...keywords.filter((k) => !c.keywords.includes(k))]
  const files = Array.isArray(m.files) ? (m.files as string[]) : []
  out.files = files.includes('dist') ? files : ['dist', ...files]
  if (isRecord(m.exports)) {
    const exports: Record<string, unknown> = {}
    for (const [subpath, value] of Object.entries(m.exports))
      if (subpath !== './package.json') exports[subpath] = typesFirst(value)
    exports['./package.json'] = './package.json'
    out.exports = exports
  }
  return orderKeys(out)
}

export interface PackageReport {
  dir: string
  name: string
  problems: Problem[]
  /** --fix: package.json was rewritten */
  fixed: boolean
}

/** Checks (and with `fix`, fixes) every publishable package, or those in `dirs`. */
export function runMetadata(options: { fix: boolean; dirs?: string[]; root?: string }): PackageReport[] {
  const root = options.root ?? repoRoot
  const all = workspacePackages(root)
  const privateNames = all.filter((p) => p.manifest.private === true).map((p) => p.manifest.name!)
  const c = conventionsFrom(rootManifest(root), privateNames)
  const wanted = options.dirs?.map((d) => d.replace(/\/+$/, ''))
  const selected = all.filter((p) => isPublishable(p) && (wanted === undefined || wanted.includes(p.dir)))
  if (wanted !== undefined) {
    const unknown = wanted.filter((d) => !selected.some((p) => p.dir === d))
    if (unknown.length > 0) throw new Error(`not a publishable workspace package: ${unknown.join(', ')}`)
  }
  return selected.map((pkg: WorkspacePackage) => {
    let manifest = pkg.manifest
    let fixed = false
    if (options.fix) {
      manifest = fixManifest(manifest, pkg.dir, c)
      fixed = writePackage(pkg, manifest, root)
    }
    const readmePath = join(root, pkg.dir, 'README.md')
    const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : undefined
    const name = String(manifest.name)
    return {
      dir: pkg.dir,
      name,
      problems: [...checkManifest(manifest, pkg.dir, c), ...checkReadme(readme, name)],
      fixed,
    }
  })
}

/** One line per problem, `packages/kafka/package.json: files: must list "dist"`. */
export function formatReports(reports: readonly PackageReport[]): string {
  const lines: string[] = []
  for (const r of reports) {
    for (const p of r.problems) {
      const file = p.field.startsWith('README') ? `${r.dir}/README.md` : `${r.dir}/package.json`
      const field = p.field.startsWith('README') ? '' : `${p.field}: `
      lines.push(`${file}: ${field}${p.message}${p.fixable ? ' (--fix writes it)' : ''}`)
    }
  }
  return lines.join('\n')
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2).filter((a) => a !== '--')
  const fix = args.includes('--fix')
  const dirs = args.filter((a) => !a.startsWith('--'))
  const reports = runMetadata({ fix, ...(dirs.length > 0 ? { dirs } : {}) })
  for (const r of reports.filter((r) => r.fixed)) process.stderr.write(`fixed ${r.dir}/package.json\n`)
  const text = formatReports(reports)
  if (text !== '') process.stderr.write(`${text}\n`)
  const count = reports.reduce((n, r) => n + r.problems.length, 0)
  process.stderr.write(
    `package metadata: ${reports.length} packages, ${count === 0 ? 'all good' : `${count} problems`}\n`,
  )
  process.exitCode = count === 0 ? 0 : 1
}
