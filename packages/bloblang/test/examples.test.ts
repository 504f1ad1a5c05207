// Every documented Bento example (extracted by the oracle) for functions/methods we implement
// must produce the documented output.

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { globalEnvironment, parse } from '../src/index.ts'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../../..')
const oracle = process.env.BENTO_TS_BLOBLANG_ORACLE ?? join(repo, '.services/bin/bloblang-oracle')

interface Example {
  id: string
  kind: 'function' | 'method'
  name: string
  mapping: string
  results: [string, string][]
  skip_testing: boolean
}

// Known gaps (documented in the README); everything else implemented must pass.
const KNOWN_GAPS = new Set(['function:counter:3', 'method:catch:1', 'method:float32:0', 'method:decode:1'])

function load(): Example[] {
  if (!existsSync(oracle)) {
    throw new Error(`Bloblang oracle not found at ${oracle} (set BENTO_TS_BLOBLANG_ORACLE)`)
  }
  return JSON.parse(
    execFileSync(oracle, ['examples'], { maxBuffer: 64 * 1024 * 1024 }).toString(),
  ) as Example[]
}

describe('documented examples', () => {
  const env = globalEnvironment()
  let examples: Example[] = []
  try {
    examples = load()
  } catch (e) {
    it('loads the examples from the oracle', () => {
      throw e
    })
  }
  const runnable = examples.filter(
    (e) =>
      !e.skip_testing &&
      e.results.length > 0 &&
      !KNOWN_GAPS.has(e.id) &&
      (e.kind === 'function' ? env.functions.has(e.name) : env.methods.has(e.name)),
  )
  for (const ex of runnable) {
    it(`${ex.id}`, () => {
      let exe: ReturnType<typeof parse>
      try {
        exe = parse(ex.mapping)
      } catch (e) {
        // Examples may use functions/methods we haven't implemented yet.
        if (/unrecognised (function|method)/.test((e as Error).message)) return
        throw e
      }
      for (const [input, want] of ex.results) {
        let got: string
        try {
          const r = exe.apply({ content: input })
          got = r.deleted ? '<Message deleted>' : new TextDecoder().decode(r.content)
        } catch (e) {
          got = `Error("${(e as Error).message}")`
        }
        expect(got).toBe(want)
      }
    })
  }
})
