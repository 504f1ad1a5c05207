// Differential test: every case in test/cases/*.jsonl runs through real Bento (the Go oracle from
// conformance/bloblang) and through this package; results must be identical.

import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BloblangParseError, parse, toStringValue } from '../src/index.ts'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../../..')
const oracle = process.env.BENTO_TS_BLOBLANG_ORACLE ?? join(repo, '.services/bin/bloblang-oracle')

interface Case {
  id: string
  mapping: string
  input: string
  metadata?: Record<string, unknown>
}

interface Outcome {
  result: string | null
  deleted: boolean
  exec_error: string | null
  parse_error: string | null
  metadata: Record<string, string> | null
}

function runOurs(c: Case): Outcome {
  let exe: ReturnType<typeof parse>
  try {
    exe = parse(c.mapping)
  } catch (e) {
    if (!(e instanceof BloblangParseError)) throw e
    return {
      result: null,
      deleted: false,
      exec_error: null,
      parse_error: `${e.detail} @${e.line}:${e.column}`,
      metadata: null,
    }
  }
  try {
    const r = exe.apply({ content: c.input, metadata: c.metadata })
    if (r.deleted) return { result: null, deleted: true, exec_error: null, parse_error: null, metadata: null }
    const md: Record<string, string> = {}
    for (const [k, v] of r.metadata) md[k] = toStringValue(v)
    return {
      result: new TextDecoder().decode(r.content),
      deleted: false,
      exec_error: null,
      parse_error: null,
      metadata: md,
    }
  } catch (e) {
    return {
      result: null,
      deleted: false,
      exec_error: (e as Error).message,
      parse_error: null,
      metadata: null,
    }
  }
}

interface OracleLine {
  result: string | null
  deleted: boolean
  exec_error: string | null
  parse_error: string | null
  parse_error_detailed?: { line: number; column: number }
  metadata: Record<string, string> | null
}

function fromOracle(o: OracleLine): Outcome {
  const ok = o.exec_error === null && o.parse_error === null && !o.deleted
  return {
    result: o.result,
    deleted: o.deleted,
    exec_error: o.exec_error,
    parse_error:
      o.parse_error === null
        ? null
        : `${o.parse_error} @${o.parse_error_detailed?.line}:${o.parse_error_detailed?.column}`,
    metadata: ok ? (o.metadata ?? {}) : null,
  }
}

const casesDir = join(here, 'cases')
const files = readdirSync(casesDir).filter((f) => f.endsWith('.jsonl'))

describe('differential against Bento v1.20.0', () => {
  it('has the oracle binary', () => {
    if (!existsSync(oracle)) {
      throw new Error(
        `Bloblang oracle not found at ${oracle}: build it with ` +
          '`cd conformance/bloblang && go build -o <path> .` and set BENTO_TS_BLOBLANG_ORACLE, ' +
          'or run `pnpm services:up`',
      )
    }
  })

  for (const file of files) {
    describe(file, () => {
      const text = readFileSync(join(casesDir, file), 'utf8')
      const cases: Case[] = text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Case)
      let expected: OracleLine[] | null = null
      const oracleResults = (): OracleLine[] => {
        if (expected === null) {
          const out = execFileSync(oracle, ['eval'], { input: text, maxBuffer: 64 * 1024 * 1024 }).toString()
          expected = out
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as OracleLine)
        }
        return expected
      }
      cases.forEach((c, i) => {
        it(`${c.id}: ${c.mapping.split('\n')[0]}`, () => {
          if (!existsSync(oracle)) throw new Error(`Bloblang oracle not found at ${oracle}`)
          const want = fromOracle(oracleResults()[i] as OracleLine)
          expect(runOurs(c)).toEqual(want)
        })
      })
    })
  }
})
