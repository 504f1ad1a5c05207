// The Go oracle (conformance/bloblang, Bento v1.20.0) as the tests and the conformance table see it.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { type Environment, globalEnvironment, parse } from '../src/index.ts'

const here = dirname(fileURLToPath(import.meta.url))
export const repoRoot = resolve(here, '../../..')
export const oraclePath =
  process.env.BENTO_TS_BLOBLANG_ORACLE ?? join(repoRoot, '.services/bin/bloblang-oracle')

export function requireOracle(): string {
  if (!existsSync(oraclePath)) {
    throw new Error(
      `Bloblang oracle not found at ${oraclePath}: build it with \`pnpm services:tool bloblang-oracle\` ` +
        '(or set BENTO_TS_BLOBLANG_ORACLE)',
    )
  }
  return oraclePath
}

export interface Example {
  id: string
  kind: 'function' | 'method'
  name: string
  status: string
  mapping: string
  results: [string, string][]
  skip_testing: boolean
}

/** Every documented example of every function and method, extracted from Bento at test time. */
export function loadExamples(): Example[] {
  const out = execFileSync(requireOracle(), ['examples'], {
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  return JSON.parse(out.toString()) as Example[]
}

export interface AllowedGap {
  id: string
  reason: string
}

/** Documented differences we accept for now, each with its reason (test/allow-list.yaml). */
export function loadAllowList(): {
  examples: AllowedGap[]
  corpus: { file: string; name: string; reason: string }[]
} {
  const doc = parseYaml(readFileSync(join(here, 'allow-list.yaml'), 'utf8')) as {
    examples?: AllowedGap[]
    corpus?: { file: string; name: string; reason: string }[]
  }
  return { examples: doc.examples ?? [], corpus: doc.corpus ?? [] }
}

export type ExampleOutcome =
  | { status: 'passed' }
  | { status: 'failed'; pair: number; want: string; got: string }
  | { status: 'not implemented'; missing: string }

/** The name an example uses that we lack, found by parsing alone (running could spend global state). */
export function missingName(ex: Example, env: Environment = globalEnvironment()): string | undefined {
  setupExampleEnv()
  try {
    parse(ex.mapping, { env })
    return undefined
  } catch (err) {
    return /unrecognised (?:function|method) '([^']+)'/.exec((err as Error).message)?.[1]
  }
}

/** The traceparent Bento's example tests attach to every message of a function example. */
export const exampleTraceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

/**
 * The files Bento's example tests point BENTO_TEST_BLOBLANG_FILE and _SCHEMA_FILE at (the
 * oracle writes the same contents), created once unless the caller set the variables.
 */
export function setupExampleEnv(): void {
  const files: [string, string][] = [
    ['BENTO_TEST_BLOBLANG_FILE', '{"foo":"bar"}'],
    [
      'BENTO_TEST_BLOBLANG_SCHEMA_FILE',
      '\n{\n  "type":"object",\n  "properties":{\n    "foo":{\n      "type":"string"\n    }\n  }\n}',
    ],
  ]
  for (const [key, content] of files) {
    if (process.env[key] !== undefined) continue
    const path = join(mkdtempSync(join(tmpdir(), 'bloblang-examples-')), 'file.json')
    writeFileSync(path, content)
    process.env[key] = path
  }
}

/** Runs one documented example the way Bento's own tests do (Error("…") and <Message deleted> conventions). */
export function runExample(ex: Example, env: Environment = globalEnvironment()): ExampleOutcome {
  setupExampleEnv()
  let executor: ReturnType<typeof parse>
  try {
    executor = parse(ex.mapping, { env })
  } catch (err) {
    const missing = /unrecognised (?:function|method) '([^']+)'/.exec((err as Error).message)
    if (missing !== null) return { status: 'not implemented', missing: missing[1]! }
    return { status: 'failed', pair: -1, want: 'a mapping that parses', got: (err as Error).message }
  }
  for (const [i, [input, want]] of ex.results.entries()) {
    let got: string
    try {
      const out = executor.apply({
        content: input,
        traceparent: ex.kind === 'function' ? exampleTraceparent : null,
      })
      got = out.deleted ? '<Message deleted>' : new TextDecoder().decode(out.content)
    } catch (err) {
      got = `Error("${(err as Error).message}")`
    }
    if (got !== want) return { status: 'failed', pair: i, want, got }
  }
  return { status: 'passed' }
}

/** Examples that can run: not marked untested by Bento, with input/output pairs. */
export const executable = (ex: Example): boolean => !ex.skip_testing && ex.results.length > 0

export const isImplemented = (ex: Example, env: Environment = globalEnvironment()): boolean =>
  ex.kind === 'function' ? env.functions.has(ex.name) : env.methods.has(ex.name)
