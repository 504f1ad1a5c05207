// Which configs `test` runs and where their test cases are, as `bento test` finds them: a config
// with `tests:` inside, or `foo.yaml` with its cases in `foo_bento_test.yaml` beside it; paths may
// be files, globs (`**` too) or `dir/...` for everything below dir.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, extname, join, normalize } from 'node:path'
import {
  type ConfigProblem,
  type Environment,
  parseConfig,
  streamFields,
  type TestCase,
} from '@bento-ts/core'
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml'
import { expandPaths } from '../paths.ts'

/** Bento's suffix, then the one Benthos used, so old repositories keep working. */
export const definitionSuffixes = ['_bento_test', '_benthos_test'] as const

export interface TestTarget {
  /** the config the cases run against */
  config: string
  /** the file the cases are written in (the config itself when they are inside it) */
  definition: string
  cases: (TestCase & { line: number })[]
}

export class TargetError extends Error {
  override name = 'TargetError'
}

/** The config and its test definition file for a path naming either. */
export function pathPair(path: string): { config: string; definitions: string[] } {
  const ext = extname(path)
  const stem = basename(path, ext)
  const dir = dirname(path)
  const suffix = definitionSuffixes.find((s) => stem.endsWith(s))
  if (suffix !== undefined) {
    return { config: join(dir, stem.slice(0, -suffix.length) + ext), definitions: [normalize(path)] }
  }
  return { config: normalize(path), definitions: definitionSuffixes.map((s) => join(dir, stem + s + ext)) }
}

/** The YAML line of each case in a `tests:` list, as failures cite them. */
function caseLines(text: string): number[] {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  const tests = isMap(doc.contents) ? doc.contents.get('tests', true) : undefined
  if (!isSeq(tests)) return []
  return tests.items.map((item) => lines.linePos((item as { range?: [number] }).range?.[0] ?? 0).line)
}

/** Reads the cases of one definition file; a malformed definition is an error naming its problems. */
export function readCases(path: string, env: Environment): TestTarget['cases'] {
  const text = readFileSync(path, 'utf8')
  // The definition is read as written: `${VAR}` in it is for the case's environment, not this one.
  // The rest of a config holding its own tests is the lint's business, not the definition's.
  const parsed = parseConfig(text, streamFields, env, { file: path, vars: {}, skipEnvVarCheck: true })
  const config = parsed.config as { tests?: TestCase[] }
  const problems = parsed.problems.filter(
    (p) => p.path === '' || p.path === 'tests' || p.path.startsWith('tests.'),
  )
  if (problems.length > 0)
    throw new TargetError(`failed to parse test definition from '${path}': ${describe(problems)}`)
  const lines = caseLines(text)
  return (config.tests ?? []).map((c, i) => ({ ...c, line: lines[i] ?? 0 }))
}

const describe = (problems: ConfigProblem[]): string =>
  problems.map((p) => `${p.line}:${p.column}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`).join('; ')

/** Every config with test cases under the paths given, sorted by config path. */
export function findTargets(paths: readonly string[], env: Environment): TestTarget[] {
  const targets = new Map<string, TestTarget>()
  for (const path of expandPaths(paths)) {
    const { config, definitions } = pathPair(path)
    if (!existsSync(config)) throw new TargetError(`unable to access target config file '${config}'`)
    let definition = definitions.find((d) => existsSync(d))
    if (definition === undefined) {
      if (!/\.ya?ml$/.test(config) || statSync(config).isDirectory()) continue
      definition = config
    }
    const cases = readCases(definition, env)
    if (cases.length === 0) continue
    targets.set(config, { config, definition, cases })
  }
  return [...targets.values()].sort((a, b) => (a.config < b.config ? -1 : a.config > b.config ? 1 : 0))
}
