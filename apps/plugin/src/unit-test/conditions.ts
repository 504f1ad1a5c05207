// The output conditions of a test case, checked the way `bento test` checks them: each failing
// condition is one reason, named by its field, in the order of the field names.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { styleText } from 'node:util'
import { type Executor, Num, parse } from '@bento-ts/bloblang'
import { type Message, queryBool, type TestConditions } from '@bento-ts/core'
import { BatchView } from '@bento-ts/core/kit'

const expected = (s: string) => styleText('blue', s)
const received = (s: string) => styleText('red', s)

/** A JSON number kept as its text: `1` and `1.0` differ, as with Go's json.Number. */
class NumberText {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

/** The first JSON document of a text, numbers as written; undefined when it is not JSON. */
function readJSON(text: string): unknown {
  try {
    return JSON.parse(text, (_key, value, context?: { source?: string }) =>
      typeof value === 'number' ? new NumberText(context?.source ?? String(value)) : value,
    )
  } catch {
    return undefined
  }
}

/** jsondiff's match: equal, or (for `contains`) objects with at least the keys, lists at least as long. */
function jsonMatches(actual: unknown, want: unknown, superset: boolean): boolean {
  if (want instanceof NumberText) return actual instanceof NumberText && actual.text === want.text
  if (Array.isArray(want)) {
    if (!Array.isArray(actual)) return false
    if (superset ? actual.length < want.length : actual.length !== want.length) return false
    return want.every((w, i) => jsonMatches(actual[i], w, superset))
  }
  if (want !== null && typeof want === 'object') {
    if (
      actual === null ||
      typeof actual !== 'object' ||
      Array.isArray(actual) ||
      actual instanceof NumberText
    )
      return false
    const a = actual as Record<string, unknown>
    const w = want as Record<string, unknown>
    if (!superset && Object.keys(a).length !== Object.keys(w).length) return false
    return Object.keys(w).every((k) => Object.hasOwn(a, k) && jsonMatches(a[k], w[k], superset))
  }
  return actual === want
}

function compareJSON(content: string, want: string, superset: boolean): string | undefined {
  const a = readJSON(content)
  const b = readJSON(want)
  const what = superset ? 'JSON superset mismatch' : 'JSON content mismatch'
  if (a === undefined && b === undefined) return `${what}\nboth arguments are invalid json`
  if (a === undefined) return `${what}\nfirst argument is invalid json`
  if (b === undefined) return `${what}\nsecond argument is invalid json`
  if (jsonMatches(a, b, superset)) return undefined
  return `${what}\n  expected: ${expected(want)}\n  received: ${received(content)}`
}

/** A condition's document as JSON text: a string is taken as JSON already. */
const jsonText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value))

const numeric = (v: unknown): number | undefined =>
  typeof v === 'number'
    ? v
    : typeof v === 'bigint'
      ? Number(v)
      : v instanceof Num
        ? v.kind === 'float'
          ? v.f
          : v.kind === 'json'
            ? Number(v.text)
            : Number(v.big)
        : undefined

/** Bento's value.ICompare: numbers by value whatever their type, bytes as strings, deep for structures. */
export function metadataValueEquals(want: unknown, actual: unknown): boolean {
  if (want === null || want === undefined) return actual === null || actual === undefined
  if (typeof want === 'string')
    return (
      (typeof actual === 'string' && actual === want) ||
      (actual instanceof Uint8Array && new TextDecoder().decode(actual) === want)
    )
  if (typeof want === 'number') return numeric(actual) === want
  if (typeof want === 'boolean') return actual === want
  if (Array.isArray(want))
    return (
      Array.isArray(actual) &&
      actual.length === want.length &&
      want.every((w, i) => metadataValueEquals(w, actual[i]))
    )
  if (typeof want === 'object') {
    if (
      actual === null ||
      typeof actual !== 'object' ||
      Array.isArray(actual) ||
      actual instanceof Uint8Array
    )
      return false
    const a = actual as Record<string, unknown>
    const entries = Object.entries(want as Record<string, unknown>)
    return (
      Object.keys(a).length === entries.length &&
      entries.every(([k, w]) => Object.hasOwn(a, k) && metadataValueEquals(w, a[k]))
    )
  }
  return false
}

const printable = (v: unknown): string =>
  typeof v === 'string' ? v : v instanceof Uint8Array ? new TextDecoder().decode(v) : JSON.stringify(v)

export interface CompiledConditions {
  /** the reasons the message fails, `field: why` */
  check(message: Message): string[]
}

/** Prepares a message's conditions; a mapping that does not parse is an error here, before running. */
export function compileConditions(conditions: TestConditions, dir: string): CompiledConditions {
  let query: Executor | undefined
  if (conditions.bloblang !== undefined) {
    try {
      query = parse(conditions.bloblang)
    } catch (err) {
      throw new Error(`bloblang: ${(err as Error).message}`)
    }
  }
  const readFile = (path: string, what: string): string | Error => {
    try {
      return readFileSync(join(dir, path), 'utf8')
    } catch (err) {
      return new Error(`failed to read comparison ${what}file: ${(err as Error).message}`)
    }
  }
  const checks: Record<string, (m: Message) => string | undefined> = {
    bloblang: (m) => {
      try {
        return queryBool(query!, new BatchView([m]), 0) ? undefined : 'bloblang expression was false'
      } catch (err) {
        return (err as Error).message
      }
    },
    content_equals: (m) => {
      const want = conditions.content_equals!
      const got = m.text()
      return got === want
        ? undefined
        : `content mismatch\n  expected: ${expected(want)}\n  received: ${received(got)}`
    },
    content_matches: (m) => {
      const pattern = conditions.content_matches!
      const got = m.text()
      return new RegExp(pattern).test(got)
        ? undefined
        : `pattern mismatch\n   pattern: ${expected(pattern)}\n  received: ${received(got)}`
    },
    metadata_equals: (m) => {
      for (const [key, want] of Object.entries(conditions.metadata_equals!)) {
        if (!m.metadata.has(key)) return `metadata key '${key}' expected but not found`
        const got = m.metadata.get(key)
        if (!metadataValueEquals(want, got))
          return `metadata key '${key}' mismatch\n  expected: ${expected(printable(want))}\n  received: ${received(printable(got))}`
      }
      return undefined
    },
    file_equals: (m) => {
      const want = readFile(conditions.file_equals!, '')
      if (want instanceof Error) return want.message
      const got = m.text()
      return got === want
        ? undefined
        : `content mismatch\n  expected: ${expected(want)}\n  received: ${received(got)}`
    },
    file_json_equals: (m) => {
      const want = readFile(conditions.file_json_equals!, 'JSON ')
      return want instanceof Error ? want.message : compareJSON(m.text(), want, false)
    },
    file_json_contains: (m) => {
      const want = readFile(conditions.file_json_contains!, 'JSON ')
      return want instanceof Error ? want.message : compareJSON(m.text(), want, true)
    },
    json_equals: (m) => compareJSON(m.text(), jsonText(conditions.json_equals), false),
    json_contains: (m) => compareJSON(m.text(), jsonText(conditions.json_contains), true),
  }
  const present = Object.keys(checks)
    .filter((k) => conditions[k as keyof TestConditions] !== undefined)
    .sort()
  return {
    check(message) {
      const reasons: string[] = []
      for (const k of present) {
        const reason = checks[k]!(message)
        if (reason !== undefined) reasons.push(`${k}: ${reason}`)
      }
      return reasons
    },
  }
}
