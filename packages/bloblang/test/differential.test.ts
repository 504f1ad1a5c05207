// Differential test: every case of our own (test/corpus/*.yaml and test/cases/*.jsonl) runs through
// real Bento (the Go oracle from conformance/bloblang) and through this package; the outcomes must
// be identical: output bytes, deletion, output metadata, and the exact error text and position.
// Accepted differences are listed with a reason in allow-list.yaml and must still differ.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { BloblangParseError, globalEnvironment, parse, toStringValue } from '../src/index.ts'
import { loadAllowList, requireOracle } from './oracle.ts'

const here = dirname(fileURLToPath(import.meta.url))

interface Case {
  name: string
  mapping: string
  input: string
  metadata?: Record<string, string>
  mode?: 'mapping' | 'mutation'
  /**
   * The error's lines come in an order Bento itself does not fix (gojsonschema walks a Go map):
   * compared as a sorted list, each line still exactly.
   */
  unordered_error_lines?: boolean
}

/** An outcome with its exec error's lines sorted, for a case whose line order is not defined. */
function linesSorted(o: Outcome): Outcome {
  const error = o.exec_error
  if (error === null) return o
  const [first, ...rest] = error.split('\n')
  // the first line carries the location prefix (`failed assignment (line 1): field \`this\`: `)
  const prefix = /^.*?: field `[^`]*`: /.exec(first ?? '')?.[0] ?? ''
  const lines = [(first ?? '').slice(prefix.length), ...rest].sort()
  return { ...o, exec_error: `${prefix}${lines.join('\n')}` }
}

interface Outcome {
  result: string | null
  deleted: boolean
  exec_error: string | null
  parse_error: string | null
  metadata: Record<string, string> | null
}

interface OracleLine {
  result: string | null
  result_base64?: string
  deleted: boolean
  exec_error: string | null
  parse_error: string | null
  parse_error_detailed?: { line: number; column: number }
  metadata: Record<string, string> | null
}

/** Payload bytes as the oracle reports them: text, or base64 when they are not valid UTF-8. */
function payloadText(bytes: Uint8Array, base64: boolean): string {
  return base64 ? Buffer.from(bytes).toString('base64') : new TextDecoder().decode(bytes)
}

function runOurs(c: Case, base64: boolean): Outcome {
  let executor: ReturnType<typeof parse>
  try {
    executor = parse(c.mapping)
  } catch (err) {
    if (!(err instanceof BloblangParseError)) throw err
    return {
      result: null,
      deleted: false,
      exec_error: null,
      parse_error: `${err.detail} @${err.line}:${err.column}`,
      metadata: null,
    }
  }
  try {
    const out = executor.apply(
      { content: c.input, metadata: c.metadata ?? {} },
      { mutation: c.mode === 'mutation' },
    )
    if (out.deleted)
      return { result: null, deleted: true, exec_error: null, parse_error: null, metadata: null }
    const metadata: Record<string, string> = {}
    for (const [k, v] of out.metadata) metadata[k] = toStringValue(v)
    return {
      result: payloadText(out.content, base64),
      deleted: false,
      exec_error: null,
      parse_error: null,
      metadata,
    }
  } catch (err) {
    return {
      result: null,
      deleted: false,
      exec_error: (err as Error).message,
      parse_error: null,
      metadata: null,
    }
  }
}

function fromOracle(o: OracleLine): Outcome {
  const ok = o.exec_error === null && o.parse_error === null && !o.deleted
  return {
    result: o.result_base64 ?? o.result,
    deleted: o.deleted,
    exec_error: o.exec_error,
    parse_error:
      o.parse_error === null
        ? null
        : `${o.parse_error} @${o.parse_error_detailed?.line}:${o.parse_error_detailed?.column}`,
    metadata: ok ? (o.metadata ?? {}) : null,
  }
}

function loadCorpus(): { file: string; cases: Case[] }[] {
  const corpusDir = join(here, 'corpus')
  const yamlFiles = readdirSync(corpusDir)
    .filter((f) => f.endsWith('.yaml') && f !== 'allow-list.yaml')
    .map((f) => ({
      file: f,
      cases: (parseYaml(readFileSync(join(corpusDir, f), 'utf8')) as { cases: Case[] }).cases,
    }))
  const casesDir = join(here, 'cases')
  const jsonlFiles = readdirSync(casesDir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => ({
      file: f,
      cases: readFileSync(join(casesDir, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const c = JSON.parse(l) as Case & { id: string }
          return { ...c, name: c.id }
        }),
    }))
  return [...yamlFiles, ...jsonlFiles]
}

/** One oracle process per file: its cases are independent, each parsed afresh. */
function oracleOutcomes(cases: Case[]): OracleLine[] {
  const input = cases
    .map((c, i) =>
      JSON.stringify({
        id: i,
        mapping: c.mapping,
        input: c.input,
        metadata: c.metadata ?? {},
        mode: c.mode ?? 'mapping',
      }),
    )
    .join('\n')
  const out = execFileSync(requireOracle(), ['eval'], { input, maxBuffer: 256 * 1024 * 1024 }).toString()
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OracleLine)
}

const files = loadCorpus()
const allowed = new Map(loadAllowList().corpus.map((a) => [`${a.file}:${a.name}`, a.reason]))
const mostUsed = new Set(
  readFileSync(join(here, 'most-used.txt'), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#')),
)

/**
 * A case that needs a function or method we have not written yet (one of the full catalog, not
 * of the most used) is pending, not a test: it is reported, and a most-used name may never be pending.
 */
function pendingName(c: Case): string | undefined {
  try {
    parse(c.mapping)
    return undefined
  } catch (err) {
    const m = /unrecognised (function|method) '([^']+)'/.exec((err as Error).message)
    if (m === null) return undefined
    // A name we do have (refused on purpose, e.g. inside a dynamic `bloblang` mapping) is a test.
    const env = globalEnvironment()
    const known = m[1] === 'function' ? env.functions.has(m[2] as string) : env.methods.has(m[2] as string)
    return known ? undefined : m[2]
  }
}
// Only a name Bento has can be pending: a case about an unknown name is compared like any other.
const bentoNames = new Set(
  (
    JSON.parse(
      execFileSync(requireOracle(), ['catalog'], {
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString(),
    ) as { name: string }[]
  ).map((e) => e.name),
)
const pending = files.flatMap(({ file, cases }) =>
  cases.flatMap((c) => {
    const name = pendingName(c)
    return name === undefined || !bentoNames.has(name) ? [] : [{ id: `${file}:${c.name}`, name }]
  }),
)
const pendingIds = new Set(pending.map((p) => p.id))

describe('differential against Bento v1.20.0', () => {
  test('no most-used function or method is missing (the rest of the catalog is pending)', () => {
    expect([...new Set(pending.map((p) => p.name))].filter((n) => mostUsed.has(n))).toEqual([])
    // What waits for the rest of the catalog, so the count is visible in every run.
    console.info(
      `differential: ${pending.length} cases wait for functions/methods outside the most-used set: ` +
        [...new Set(pending.map((p) => p.name))].sort().join(', '),
    )
  })

  test('the corpus has several hundred cases with unique names', () => {
    const ids = files.flatMap((f) => f.cases.map((c) => `${f.file}:${c.name}`))
    expect(ids.length).toBeGreaterThan(500)
    expect(new Set(ids).size).toBe(ids.length)
    const known = new Set(ids)
    expect([...allowed.keys()].filter((id) => !known.has(id))).toEqual([])
  })

  for (const { file, cases } of files) {
    describe(basename(file), () => {
      let expected: OracleLine[] | undefined
      const want = (i: number): OracleLine => {
        expected ??= oracleOutcomes(cases)
        return expected[i]!
      }
      cases.forEach((c, i) => {
        if (pendingIds.has(`${file}:${c.name}`)) return
        const reason = allowed.get(`${file}:${c.name}`)
        if (reason === undefined) {
          test(c.name, () => {
            const oracle = want(i)
            const ours = runOurs(c, oracle.result_base64 !== undefined)
            if (c.unordered_error_lines === true)
              expect(linesSorted(ours)).toEqual(linesSorted(fromOracle(oracle)))
            else expect(ours).toEqual(fromOracle(oracle))
          })
        } else {
          test(`${c.name} still differs (allowed: ${reason})`, () => {
            const oracle = want(i)
            expect(runOurs(c, oracle.result_base64 !== undefined)).not.toEqual(fromOracle(oracle))
          })
        }
      })
    })
  }
})
