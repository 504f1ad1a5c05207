// The Bloblang parser: parser combinators shaped like Bento's (so failures land on the same
// positions with the same "expected ..." lists), building executable `Fn` closures directly.

import { PlainError, type QueryError, toQueryError } from './errors.ts'
import {
  type MappingExecutor,
  metaAssignment,
  newExecutor,
  pathAssignment,
  rootLevelIf,
  type Statement,
  singleStatement,
  varAssignment,
} from './mapping.ts'
import {
  arithmetic,
  arrayLiteral,
  type Fn,
  fieldFn,
  getFn,
  ifFn,
  indexFn,
  literal,
  literalCaseFn,
  type MatchCase,
  mapExpressionFn,
  matchFn,
  metaFn,
  namedContextFn,
  negate,
  notFn,
  type Op,
  objectLiteral,
  sliceFn,
  varFn,
} from './query.ts'
import type { Environment, ParsedArg } from './registry.ts'
import { bytesToString, float64, int64, type Value } from './value.ts'

// ---------------------------------------------------------------------------------------------
// Results and errors

export interface ImportFailure {
  path: string
  content: string
  err: PErr
}

export interface PErr {
  /** Position (UTF-16 index into the source) where parsing failed. */
  pos: number
  expected: string[]
  /** Fatal error message (non-null = fatal: stop trying alternatives). */
  fatal: string | null
  importErr?: ImportFailure
}

export type R<T> = { ok: true; v: T; pos: number } | { ok: false; err: PErr }
export type P<T> = (s: string, pos: number) => R<T>

function ok<T>(v: T, pos: number): R<T> {
  return { ok: true, v, pos }
}
function fail<T>(err: PErr): R<T> {
  return { ok: false, err }
}
function perr(pos: number, ...expected: string[]): PErr {
  return { pos, expected, fatal: null }
}
function fatalErr(pos: number, msg: string, ...expected: string[]): PErr {
  return { pos, expected, fatal: msg }
}
function isFatal(e: PErr): boolean {
  return e.fatal !== null
}
function addErr(e: PErr, from: PErr): void {
  e.expected = e.expected.concat(from.expected)
  if (e.fatal === null) {
    e.fatal = from.fatal
    if (from.importErr) e.importErr = from.importErr
  }
}

// ---------------------------------------------------------------------------------------------
// Combinators

function char(c: string): P<string> {
  return (s, pos) => (s[pos] === c ? ok(c, pos + 1) : fail(perr(pos, c)))
}

function term(t: string): P<string> {
  return (s, pos) => (s.startsWith(t, pos) ? ok(t, pos + t.length) : fail(perr(pos, t)))
}

function expect<T>(p: P<T>, ...expected: string[]): P<T> {
  return (s, pos) => {
    const r = p(s, pos)
    if (!r.ok && !isFatal(r.err)) r.err.expected = expected
    return r
  }
}

function mustBe<T>(p: P<T>): P<T> {
  return (s, pos) => {
    const r = p(s, pos)
    if (!r.ok && !isFatal(r.err)) r.err.fatal = 'required'
    return r
  }
}

/** Optional: a non-fatal failure becomes success with `undefined` at the same position. */
function optional<T>(p: P<T>): P<T | undefined> {
  return (s, pos) => {
    const r = p(s, pos)
    if (r.ok || isFatal(r.err)) return r
    return ok(undefined, pos)
  }
}

function oneOf<T>(...ps: P<T>[]): P<T> {
  return (s, pos) => {
    let err: PErr | null = null
    for (const p of ps) {
      const r = p(s, pos)
      if (r.ok || isFatal(r.err)) return r
      if (err === null || err.pos < r.err.pos) err = r.err
      else if (err.pos === r.err.pos) addErr(err, r.err)
    }
    return fail(err as PErr)
  }
}

/** Runs parsers in order; returns all payloads. */
function seq(...ps: P<unknown>[]): P<unknown[]> {
  return (s, pos) => {
    const out: unknown[] = []
    let cur = pos
    for (const p of ps) {
      const r = p(s, cur)
      if (!r.ok) return r
      out.push(r.v)
      cur = r.pos
    }
    return ok(out, cur)
  }
}

function discardAll<T>(p: P<T>): P<undefined> {
  return (s, pos) => {
    let cur = pos
    for (;;) {
      const r = p(s, cur)
      if (!r.ok) return ok(undefined, cur)
      if (r.pos === cur) return ok(undefined, cur)
      cur = r.pos
    }
  }
}

function discard<T>(p: P<T>): P<undefined> {
  return (s, pos) => {
    const r = p(s, pos)
    return ok(undefined, r.ok ? r.pos : pos)
  }
}

function delimitedPattern<T>(start: P<unknown>, primary: P<T>, delim: P<unknown>, stop: P<unknown>): P<T[]> {
  return (s, pos) => {
    const rs = start(s, pos)
    if (!rs.ok) return rs
    const out: T[] = []
    let cur = rs.pos
    let r = primary(s, cur)
    if (!r.ok) {
      const st = stop(s, cur)
      if (st.ok) return ok(out, st.pos)
      return fail(r.err)
    }
    out.push(r.v)
    cur = r.pos
    for (;;) {
      const d = delim(s, cur)
      if (!d.ok) {
        const st = stop(s, cur)
        if (st.ok) return ok(out, st.pos)
        addErr(d.err, st.err)
        return fail(d.err)
      }
      cur = d.pos
      r = primary(s, cur)
      if (!r.ok) {
        const st = stop(s, cur)
        if (st.ok) return ok(out, st.pos)
        return fail(r.err)
      }
      out.push(r.v)
      cur = r.pos
    }
  }
}

/** Delimited: one or more primaries separated by delim; stops when delim fails. */
function delimited<T, D>(primary: P<T>, delim: P<D>): P<{ primary: T[]; delims: D[] }> {
  return (s, pos) => {
    const r0 = primary(s, pos)
    if (!r0.ok) return r0
    const out = { primary: [r0.v], delims: [] as D[] }
    let cur = r0.pos
    for (;;) {
      const d = delim(s, cur)
      if (!d.ok) return ok(out, cur)
      out.delims.push(d.v)
      const r = primary(s, d.pos)
      if (!r.ok) return fail(r.err)
      out.primary.push(r.v)
      cur = r.pos
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Lexical parsers

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95
}
function isSnakeChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95
}

/** [A-Za-z0-9_]+ */
const word: P<string> = (s, pos) => {
  let i = pos
  while (i < s.length && isWordChar(s.charCodeAt(i))) i++
  if (i === pos) return fail(perr(pos, 'range(a - z)', 'range(A - Z)', 'range(0 - 9)', '_'))
  return ok(s.slice(pos, i), i)
}

/** [a-z0-9_]+ */
const snakeCase: P<string> = (s, pos) => {
  let i = pos
  while (i < s.length && isSnakeChar(s.charCodeAt(i))) i++
  if (i === pos) return fail(perr(pos, 'snake-case'))
  return ok(s.slice(pos, i), i)
}

const spacesAndTabs: P<string> = (s, pos) => {
  let i = pos
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++
  if (i === pos) return fail(perr(pos, 'whitespace'))
  return ok(s.slice(pos, i), i)
}

const newline: P<string> = (s, pos) => {
  if (s[pos] === '\n') return ok('\n', pos + 1)
  if (s[pos] === '\r' && s[pos + 1] === '\n') return ok('\r\n', pos + 2)
  return fail(perr(pos, 'line break'))
}

const comment: P<string> = (s, pos) => {
  if (s[pos] !== '#') return fail(perr(pos, '#'))
  let i = pos + 1
  while (i < s.length && s[i] !== '\n') i++
  // A comment must be followed by a line break (`\r` before it is part of the comment text).
  const nl = newline(s, i)
  if (!nl.ok) return nl
  return ok(s.slice(pos, i), nl.pos)
}

const newlineAllowComment: P<string> = expect(oneOf(comment, newline), 'line break')

const wsnc: P<undefined> = discardAll(oneOf<string>(spacesAndTabs, newlineAllowComment))

const charSquigOpen = char('{')
const charSquigClose = char('}')
const charSquareOpen = char('[')
const charSquareClose = char(']')
const charBracketOpen = char('(')
const charBracketClose = char(')')
const charComma = char(',')
const charDot = char('.')
const charEquals = char('=')

/** strconv.Unquote for a double-quoted Go string literal; null when invalid. */
export function goUnquote(lit: string): string | null {
  const body = lit.slice(1, -1)
  if (!body.includes('\\')) {
    if (body.includes('\n') || body.includes('"')) return null
    return body
  }
  const bytes: number[] = []
  const enc = new TextEncoder()
  const pushStr = (str: string) => {
    for (const b of enc.encode(str)) bytes.push(b)
  }
  const pushRune = (cp: number): boolean => {
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false
    pushStr(String.fromCodePoint(cp))
    return true
  }
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string
    if (c === '\n' || c === '"') return null
    if (c !== '\\') {
      const cp = body.codePointAt(i) as number
      pushStr(String.fromCodePoint(cp))
      if (cp > 0xffff) i++
      continue
    }
    i++
    const e = body[i]
    switch (e) {
      case 'a':
        bytes.push(7)
        break
      case 'b':
        bytes.push(8)
        break
      case 'f':
        bytes.push(12)
        break
      case 'n':
        bytes.push(10)
        break
      case 'r':
        bytes.push(13)
        break
      case 't':
        bytes.push(9)
        break
      case 'v':
        bytes.push(11)
        break
      case '\\':
        bytes.push(92)
        break
      case '"':
        bytes.push(34)
        break
      case 'x': {
        const h = body.slice(i + 1, i + 3)
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return null
        bytes.push(Number.parseInt(h, 16))
        i += 2
        break
      }
      case 'u':
      case 'U': {
        const n = e === 'u' ? 4 : 8
        const h = body.slice(i + 1, i + 1 + n)
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) return null
        if (!pushRune(Number.parseInt(h, 16))) return null
        i += n
        break
      }
      default: {
        if (e !== undefined && e >= '0' && e <= '7') {
          const o = body.slice(i, i + 3)
          if (!/^[0-7]{3}$/.test(o)) return null
          const v = Number.parseInt(o, 8)
          if (v > 255) return null
          bytes.push(v)
          i += 2
          break
        }
        return null
      }
    }
  }
  return bytesToString(new Uint8Array(bytes))
}

export const quotedString: P<string> = (s, pos) => {
  if (s[pos] !== '"') return fail(perr(pos, 'quoted string'))
  let escaped = false
  for (let i = pos + 1; i < s.length; i++) {
    const c = s[i]
    if (c === '"' && !escaped) {
      const un = goUnquote(s.slice(pos, i + 1))
      if (un === null) {
        return fail(fatalErr(pos, 'failed to unescape quoted string contents: invalid syntax'))
      }
      return ok(un, i + 1)
    }
    if (c === '\\') escaped = !escaped
    else if (escaped) escaped = false
  }
  return fail(fatalErr(s.length, 'required', 'end quote'))
}

const tripleQuoteString: P<string> = (s, pos) => {
  if (s.length - pos < 6 || !s.startsWith('"""', pos)) return fail(perr(pos, 'quoted string'))
  const end = s.indexOf('"""', pos + 3)
  if (end === -1 || end > s.length - 3) return fail(fatalErr(s.length, 'required', 'end triple-quote'))
  return ok(s.slice(pos + 3, end), end + 3)
}

const numberLit: P<Value> = (s, pos) => {
  let i = pos
  const negative = s[i] === '-'
  if (negative) i++
  const ds = i
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++
  if (i === ds) return fail(perr(i, 'number'))
  let text = s.slice(ds, i)
  let isFloat = false
  if (s[i] === '.') {
    let j = i + 1
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++
    if (j > i + 1) {
      text += s.slice(i, j)
      i = j
      isFloat = true
    }
  }
  if (isFloat) {
    const f = Number(text)
    return ok(float64(negative ? -f : f), i)
  }
  const b = BigInt(text)
  if (b > 0x7fffffffffffffffn) {
    return fail(
      fatalErr(
        pos,
        `failed to parse '${text}' as integer: strconv.ParseInt: parsing "${text}": value out of range`,
      ),
    )
  }
  const n = negative ? -b : b
  return ok(int64(n), i)
}

const booleanLit: P<boolean> = expect(
  (s, pos) =>
    s.startsWith('true', pos)
      ? ok(true, pos + 4)
      : s.startsWith('false', pos)
        ? ok(false, pos + 5)
        : fail(perr(pos, 'true', 'false')),
  'boolean',
)

const nullLit: P<null> = (s, pos) => (s.startsWith('null', pos) ? ok(null, pos + 4) : fail(perr(pos, 'null')))

// ---------------------------------------------------------------------------------------------
// Parse context

export interface PCtx {
  env: Environment
  named: string[]
  /** Directory (or '') that relative imports resolve against. */
  importDir: string
}

function withNamed(p: PCtx, name: string): PCtx {
  return { ...p, named: [...p.named, name] }
}

/** Convert a thrown QueryError at construction time into a fatal parse error. */
function construct<T>(pos: number, f: () => T): R<T> {
  try {
    return ok(f(), -1)
  } catch (e) {
    const qe: QueryError = toQueryError(e)
    return fail(fatalErr(pos, qe.message))
  }
}

// ---------------------------------------------------------------------------------------------
// Queries

export function queryParser(pc: PCtx): P<Fn> {
  const root = parseWithTails(
    expect(
      oneOf<Fn>(
        matchExpressionParser(pc),
        ifExpressionParser(pc),
        lambdaExpressionParser(pc),
        bracketsExpressionParser(pc),
        literalValueParser(pc),
        functionParser(pc),
        metadataReferenceParser,
        variableReferenceParser,
        fieldReferenceRootParser(pc),
      ),
      'query',
    ),
    pc,
  )
  const arith = arithmeticParser(root)
  return (s, pos) => {
    const w = spacesAndTabs(s, pos)
    return arith(s, w.ok ? w.pos : pos)
  }
}

const OPS: Op[] = ['+', '-', '/', '*', '%', '&&', '||', '==', '!=', '>=', '<=', '>', '<', '|']
const opParser: P<Op> = (s, pos) => {
  for (const op of OPS) if (s.startsWith(op, pos)) return ok(op, pos + op.length)
  return fail(perr(pos, ...OPS))
}

function arithmeticParser(term: P<Fn>): P<Fn> {
  const minus: P<string | undefined> = optional((s, pos) => {
    if (s[pos] !== '-') return fail(perr(pos, '-'))
    const w = wsnc(s, pos + 1)
    return ok('-', w.ok ? w.pos : pos + 1)
  })
  const primary: P<[string | undefined, Fn]> = (s, pos) => {
    const m = minus(s, pos)
    if (!m.ok) return m
    const t = term(s, m.pos)
    if (!t.ok) return t
    return ok([m.v, t.v], t.pos)
  }
  const op: P<Op> = (s, pos) => {
    const w = discardAll(spacesAndTabs)(s, pos)
    const o = opParser(s, w.ok ? w.pos : pos)
    if (!o.ok) return o
    const w2 = wsnc(s, o.pos)
    return ok(o.v, w2.ok ? w2.pos : o.pos)
  }
  const p = delimited(primary, op)
  return (s, pos) => {
    const r = p(s, pos)
    if (!r.ok) return r
    const built = construct(pos, () =>
      arithmetic(
        r.v.primary.map(([m, f]) => (m === '-' ? negate(f) : f)),
        r.v.delims,
      ),
    )
    if (!built.ok) return built
    return ok(built.v, r.pos)
  }
}

function parseWithTails(fnParser: P<Fn>, pc: PCtx): P<Fn> {
  const delim: P<unknown> = (s, pos) => {
    if (s[pos] !== '.') return fail(perr(pos, '.'))
    const w = wsnc(s, pos + 1)
    return ok(undefined, w.ok ? w.pos : pos + 1)
  }
  return (s, pos) => {
    let cur = pos
    let isNot = false
    if (s[cur] === '!') {
      isNot = true
      cur++
      const w = spacesAndTabs(s, cur)
      if (w.ok) cur = w.pos
    }
    const r = fnParser(s, cur)
    if (!r.ok) return r
    let fn = r.v
    cur = r.pos
    for (;;) {
      const b = parseBracketExpression(fn, pc)(s, cur)
      if (b.ok) {
        fn = b.v
        cur = b.pos
        continue
      }
      const d = delim(s, cur)
      if (!d.ok) {
        if (isNot) fn = notFn(fn)
        return ok(fn, cur)
      }
      cur = d.pos
      const t = mustBe(parseFunctionTail(fn, pc))(s, cur)
      if (!t.ok) return t
      fn = t.v
      cur = t.pos
    }
  }
}

function parseFunctionTail(fn: Fn, pc: PCtx): P<Fn> {
  return oneOf<Fn>(parseMapExpression(fn, pc), methodParser(fn, pc), fieldReferenceParser(fn))
}

function parseMapExpression(fn: Fn, pc: PCtx): P<Fn> {
  return (s, pos) => {
    if (s[pos] !== '(') return fail(perr(pos, 'method'))
    let cur = wsnc(s, pos + 1)
    const q = queryParser(pc)(s, (cur as { pos: number }).pos)
    if (!q.ok) return q
    cur = wsnc(s, q.pos)
    const c = charBracketClose(s, (cur as { pos: number }).pos)
    if (!c.ok) return c
    return ok(mapExpressionFn(fn, q.v), c.pos)
  }
}

function parseBracketExpression(fn: Fn, pc: PCtx): P<Fn> {
  return (s, pos) => {
    if (s[pos] !== '[') return fail(perr(pos, '['))
    const w = wsnc(s, pos + 1)
    const start = w.ok ? w.pos : pos + 1
    return oneOf(parseSliceExpression(fn, pc), parseIndexExpression(fn, pc))(s, start)
  }
}

function skipWs(s: string, pos: number): number {
  const w = wsnc(s, pos)
  return w.ok ? w.pos : pos
}

function parseIndexExpression(fn: Fn, pc: PCtx): P<Fn> {
  return (s, pos) => {
    const idx = queryParser(pc)(s, pos)
    if (!idx.ok) return idx
    const cur = skipWs(s, idx.pos)
    if (s[cur] === ':') return fail(perr(pos, 'slice syntax should use parseSliceExpression'))
    const c = expect(charSquareClose, 'closing bracket')(s, cur)
    if (!c.ok) return c
    return ok(indexFn(fn, idx.v), c.pos)
  }
}

function parseSliceExpression(fn: Fn, pc: PCtx): P<Fn> {
  return (s, pos) => {
    let start: Fn | null = null
    let cur = pos
    if (s[cur] !== ':') {
      const st = queryParser(pc)(s, cur)
      if (!st.ok) return st
      start = st.v
      cur = skipWs(s, st.pos)
      if (s[cur] !== ':') return fail(perr(cur, ':'))
    }
    cur = skipWs(s, cur + 1)
    let end: Fn | null = null
    if (s[cur] !== ':' && s[cur] !== ']') {
      const en = queryParser(pc)(s, cur)
      if (!en.ok) return en
      end = en.v
      cur = skipWs(s, en.pos)
    }
    let step: Fn | null = null
    if (s[cur] === ':') {
      cur = skipWs(s, cur + 1)
      if (s[cur] !== ']') {
        const sp = queryParser(pc)(s, cur)
        if (!sp.ok) return sp
        step = sp.v
        cur = skipWs(s, sp.pos)
      }
    }
    const c = expect(charSquareClose, 'closing bracket')(s, cur)
    if (!c.ok) return c
    return ok(sliceFn(fn, start, end, step), c.pos)
  }
}

function quotedPathSegment(s: string, pos: number): R<string> {
  const r = quotedString(s, pos)
  if (!r.ok) return r
  return ok(r.v.replaceAll('~', '~0').replaceAll('.', '~1'), r.pos)
}

const fieldReferencePattern: P<string> = expect(oneOf(word, quotedPathSegment), 'field path')

function fieldReferenceParser(ctxFn: Fn): P<Fn> {
  return (s, pos) => {
    const r = fieldReferencePattern(s, pos)
    if (!r.ok) return r
    return ok(getFn(ctxFn, r.v), r.pos)
  }
}

const variableReferenceParser: P<Fn> = (s, pos) => {
  if (s[pos] !== '$') return fail(perr(pos, 'variable path'))
  const w = word(s, pos + 1)
  if (!w.ok) return fail(perr(w.err.pos, 'variable path'))
  return ok(varFn(w.v), w.pos)
}

const metadataReferenceParser: P<Fn> = (s, pos) => {
  if (s[pos] !== '@') return fail(perr(pos, 'metadata path'))
  const r = optional(oneOf(word, quotedString))(s, pos + 1)
  if (!r.ok) return r
  return ok(metaFn(r.v ?? null), r.pos)
}

function fieldReferenceRootParser(pc: PCtx): P<Fn> {
  return (s, pos) => {
    const r = word(s, pos)
    if (!r.ok) return fail(perr(pos, 'field path'))
    const path = r.v
    let fn: Fn
    if (path === 'this') fn = fieldFn('', false, [])
    else if (path === 'root') fn = fieldFn('', true, [])
    else if (pc.named.includes(path)) fn = fieldFn(path, false, [])
    else fn = fieldFn('', false, dotPathOf(path))
    return ok(fn, r.pos)
  }
}

function dotPathOf(p: string): string[] {
  return p.split('.')
}

// Function calls --------------------------------------------------------------------------------

function namedArgParser(pc: PCtx): P<ParsedArg> {
  return (s, pos) => {
    const n = snakeCase(s, pos)
    if (!n.ok) return n
    if (s[n.pos] !== ':') return fail(perr(n.pos, ':'))
    let cur = n.pos + 1
    const w = spacesAndTabs(s, cur)
    if (w.ok) cur = w.pos
    const q = mustBe(expect(queryParser(pc), 'argument value'))(s, cur)
    if (!q.ok) return q
    return ok({ name: n.v, fn: q.v }, q.pos)
  }
}

function functionArgsParser(pc: PCtx): P<ParsedArg[]> {
  return (s, pos) =>
    delimitedPattern<ParsedArg>(
      expect(seq(charBracketOpen, wsnc), 'function arguments'),
      mustBe(
        expect(
          oneOf<ParsedArg>(namedArgParser(pc), (s2, p2) => {
            const q = queryParser(pc)(s2, p2)
            return q.ok ? ok({ name: null, fn: q.v }, q.pos) : q
          }),
          'function argument',
        ),
      ),
      mustBe(expect(seq(discard(spacesAndTabs), charComma, wsnc), 'comma')),
      mustBe(expect(seq(wsnc, charBracketClose), 'closing bracket')),
    )(s, pos)
}

function methodParser(fn: Fn, pc: PCtx): P<Fn> {
  const name = expect(snakeCase, 'method')
  return (s, pos) => {
    const n = name(s, pos)
    if (!n.ok) return n
    const a = functionArgsParser(pc)(s, n.pos)
    if (!a.ok) return a
    const built = construct(a.pos, () => pc.env.initMethod(n.v, fn, a.v, pc.importDir))
    if (!built.ok) return built
    return ok(built.v, a.pos)
  }
}

function functionParser(pc: PCtx): P<Fn> {
  const name = expect(snakeCase, 'function')
  return (s, pos) => {
    const n = name(s, pos)
    if (!n.ok) return n
    const a = functionArgsParser(pc)(s, n.pos)
    if (!a.ok) return a
    const built = construct(a.pos, () => pc.env.initFunction(n.v, a.v, pc.importDir))
    if (!built.ok) return built
    return ok(built.v, a.pos)
  }
}

// Literals --------------------------------------------------------------------------------------

function dynamicArrayParser(pc: PCtx): P<Fn> {
  return (s, pos) => {
    const r = delimitedPattern<Fn>(
      expect(seq(charSquareOpen, wsnc), 'array'),
      expect(queryParser(pc), 'object'),
      seq(discard(spacesAndTabs), charComma, wsnc),
      seq(wsnc, charSquareClose),
    )(s, pos)
    if (!r.ok) return r
    return ok(arrayLiteral(r.v), r.pos)
  }
}

function dynamicObjectParser(pc: PCtx): P<Fn> {
  return (s, pos) => {
    const key = oneOf<string | Fn>(quotedString, expect(queryParser(pc), 'object'))
    const pair: P<[string | Fn, Fn]> = (s2, p2) => {
      const k = key(s2, p2)
      if (!k.ok) return k
      let cur = k.pos
      const w = spacesAndTabs(s2, cur)
      if (w.ok) cur = w.pos
      if (s2[cur] !== ':') return fail(perr(cur, ':'))
      cur = skipWs(s2, cur + 1)
      const v = expect(queryParser(pc), 'object')(s2, cur)
      if (!v.ok) return v
      return ok([k.v, v.v] as [string | Fn, Fn], v.pos)
    }
    const r = delimitedPattern(
      expect(seq(charSquigOpen, wsnc), 'object'),
      pair,
      seq(discard(spacesAndTabs), charComma, wsnc),
      seq(wsnc, charSquigClose),
    )(s, pos)
    if (!r.ok) return r
    const built = construct(pos, () => objectLiteral(r.v))
    if (!built.ok) return built
    return ok(built.v, r.pos)
  }
}

function literalValueParser(pc: PCtx): P<Fn> {
  const p = oneOf<Value | Fn>(
    booleanLit,
    numberLit,
    tripleQuoteString,
    quotedString,
    nullLit,
    dynamicArrayParser(pc),
    dynamicObjectParser(pc),
  )
  return (s, pos) => {
    const r = p(s, pos)
    if (!r.ok) return r
    const v = r.v
    if (typeof v === 'object' && v !== null && 'exec' in (v as object) && 'kind' in (v as object)) {
      return ok(v as Fn, r.pos)
    }
    return ok(literal(v as Value), r.pos)
  }
}

// Expressions -------------------------------------------------------------------------------------

function matchCaseParser(pc: PCtx): P<MatchCase> {
  return (s, pos) => {
    let caseFn: Fn | null
    let cur: number
    // `_ =>`
    const underscore: P<Fn | null> = (s2, p2) => {
      if (s2[p2] !== '_') return fail(perr(p2, 'match case'))
      let c = p2 + 1
      const w = spacesAndTabs(s2, c)
      if (w.ok) c = w.pos
      if (!s2.startsWith('=>', c)) return fail(perr(c, '=>'))
      return ok(null, c + 2)
    }
    const queryCase: P<Fn | null> = (s2, p2) => {
      const q = expect(queryParser(pc), 'match case')(s2, p2)
      if (!q.ok) return q
      let c = q.pos
      const w = spacesAndTabs(s2, c)
      if (w.ok) c = w.pos
      if (!s2.startsWith('=>', c)) return fail(perr(c, '=>'))
      return ok(q.v, c + 2)
    }
    const head = oneOf(underscore, queryCase)(s, pos)
    if (!head.ok) return head
    cur = head.pos
    const w = spacesAndTabs(s, cur)
    if (w.ok) cur = w.pos
    const q = queryParser(pc)(s, cur)
    if (!q.ok) return q
    const c = head.v
    if (c === null) caseFn = literal(true)
    else if (c.kind === 'literal') caseFn = literalCaseFn(c.value as Value)
    else caseFn = c
    return ok({ caseFn, queryFn: q.v }, q.pos)
  }
}

function matchExpressionParser(pc: PCtx): P<Fn> {
  return (s, pos) => {
    if (!s.startsWith('match', pos)) return fail(perr(pos, 'match'))
    const w = spacesAndTabs(s, pos + 5)
    if (!w.ok) return w
    const ctxQ = optional(queryParser(pc))(s, w.pos)
    if (!ctxQ.ok) return ctxQ
    const cur = skipWs(s, ctxQ.pos)
    const body = mustBe(
      delimitedPattern(
        seq(charSquigOpen, wsnc),
        matchCaseParser(pc),
        seq(discard(spacesAndTabs), oneOf<unknown>(charComma, newlineAllowComment), wsnc),
        seq(wsnc, charSquigClose),
      ),
    )(s, cur)
    if (!body.ok) return body
    return ok(matchFn(ctxQ.v ?? null, body.v), body.pos)
  }
}

function ifExpressionParser(pc: PCtx): P<Fn> {
  return (s, pos) => {
    const q = queryParser(pc)
    // if <query> { <query> }
    if (!s.startsWith('if', pos)) return fail(perr(pos, 'if'))
    const w = spacesAndTabs(s, pos + 2)
    if (!w.ok) return w
    const parseBody = (start: number): R<Fn> => {
      let cur = skipWs(s, start)
      const o = mustBe(charSquigOpen)(s, cur)
      if (!o.ok) return o
      cur = skipWs(s, o.pos)
      const b = mustBe(q)(s, cur)
      if (!b.ok) return b
      cur = skipWs(s, b.pos)
      const c = mustBe(charSquigClose)(s, cur)
      if (!c.ok) return c
      return ok(b.v, c.pos)
    }
    const cond = mustBe(q)(s, w.pos)
    if (!cond.ok) return cond
    const then = parseBody(cond.pos)
    if (!then.ok) return then
    let cur = then.pos
    const elseIfs: [Fn, Fn][] = []
    for (;;) {
      const p = skipWs(s, cur)
      if (!s.startsWith('else if', p)) break
      const w2 = spacesAndTabs(s, p + 7)
      if (!w2.ok) break
      const c2 = mustBe(q)(s, w2.pos)
      if (!c2.ok) return c2
      const b2 = parseBody(c2.pos)
      if (!b2.ok) return b2
      elseIfs.push([c2.v, b2.v])
      cur = b2.pos
    }
    let otherwise: Fn | null = null
    {
      const p = skipWs(s, cur)
      if (s.startsWith('else', p)) {
        const b3 = parseBody(p + 4)
        if (!b3.ok) return b3
        otherwise = b3.v
        cur = b3.pos
      }
    }
    return ok(ifFn(cond.v, then.v, elseIfs, otherwise), cur)
  }
}

function bracketsExpressionParser(pc: PCtx): P<Fn> {
  return (s, pos) => {
    if (s[pos] !== '(') return fail(perr(pos, 'function'))
    let cur = skipWs(s, pos + 1)
    const q = queryParser(pc)(s, cur)
    if (!q.ok) return q
    cur = skipWs(s, q.pos)
    const c = mustBe(expect(charBracketClose, 'closing bracket'))(s, cur)
    if (!c.ok) return c
    return ok(q.v, c.pos)
  }
}

function lambdaExpressionParser(pc: PCtx): P<Fn> {
  return (s, pos) => {
    const n = word(s, pos)
    if (!n.ok) return fail(perr(pos, 'function'))
    const w1 = spacesAndTabs(s, n.pos)
    if (!w1.ok) return fail(perr(w1.err.pos, 'function'))
    if (!s.startsWith('->', w1.pos)) return fail(perr(w1.pos, 'function'))
    const w2 = spacesAndTabs(s, w1.pos + 2)
    if (!w2.ok) return fail(perr(w2.err.pos, 'function'))
    const name = n.v
    let inner = pc
    if (name !== '_') {
      if (pc.named.includes(name)) {
        return fail(fatalErr(pos, `context label \`${name}\` would shadow a parent context`))
      }
      if (name === 'root' || name === 'this')
        return fail(fatalErr(pos, `context label \`${name}\` is not allowed`))
      inner = withNamed(pc, name)
    }
    const q = mustBe(queryParser(inner))(s, w2.pos)
    if (!q.ok) return q
    if (q.v.kind === 'named') {
      return fail(
        fatalErr(
          pos,
          `it would be in poor taste to capture the same context under both '${name}' and '${q.v.name}'`,
        ),
      )
    }
    return ok(namedContextFn(name, q.v), q.pos)
  }
}

// ---------------------------------------------------------------------------------------------
// Mapping statements

function pathSegments(first: string, rest: string[]): string[] {
  const path = [first]
  for (const p of rest) path.push(...p.split('.').map((x) => x.replaceAll('~1', '.').replaceAll('~0', '~')))
  return path
}

const pathParser: P<string[]> = (s, pos) => {
  const first = expect(word, 'assignment')(s, pos)
  if (!first.ok) return first
  const rest: string[] = []
  let cur = first.pos
  if (s[cur] === '.') {
    const segs = delimited(expect(oneOf(quotedPathSegment, word), 'target path'), charDot)(s, cur + 1)
    if (!segs.ok) {
      if (isFatal(segs.err)) return segs
      // Optional(...) swallows the non-fatal failure and leaves the `.` unparsed.
    } else {
      rest.push(...segs.v.primary)
      cur = segs.pos
    }
  }
  return ok(pathSegments(first.v, rest), cur)
}

function plainMappingStatementParser(pc: PCtx): P<Statement> {
  return (s, pos) => {
    const p = pathParser(s, pos)
    if (!p.ok) return p
    const r = seq(spacesAndTabs, charEquals, spacesAndTabs, queryParser(pc))(s, p.pos)
    if (!r.ok) return r
    let path = p.v
    if (path.length > 0 && path[0] === 'root') path = path.slice(1)
    return ok(singleStatement(pos, pathAssignment(path), r.v[3] as Fn), r.pos)
  }
}

function letStatementParser(pc: PCtx): P<Statement> {
  return (s, pos) => {
    const kw = expect(term('let'), 'assignment')(s, pos)
    if (!kw.ok) return kw
    const w = spacesAndTabs(s, kw.pos)
    if (!w.ok) return w
    const name = mustBe(expect(oneOf(quotedString, word), 'variable name'))(s, w.pos)
    if (!name.ok) return name
    const r = seq(spacesAndTabs, charEquals, spacesAndTabs, queryParser(pc))(s, name.pos)
    if (!r.ok) return r
    return ok(singleStatement(pos, varAssignment(name.v), r.v[3] as Fn, 'var'), r.pos)
  }
}

function metaStatementParser(pc: PCtx, enabled: boolean): P<Statement> {
  return (s, pos) => {
    const kw = expect(term('meta'), 'assignment')(s, pos)
    if (!kw.ok) return kw
    const w = spacesAndTabs(s, kw.pos)
    if (!w.ok) return w
    const name = optional(oneOf(quotedString, word))(s, w.pos)
    if (!name.ok) return name
    let cur = name.pos
    const w2 = spacesAndTabs(s, cur)
    if (w2.ok) cur = w2.pos
    const r = seq(charEquals, spacesAndTabs, queryParser(pc))(s, cur)
    if (!r.ok) return r
    if (!enabled) return fail(fatalErr(pos, 'setting meta fields is not allowed within this block'))
    return ok(singleStatement(pos, metaAssignment(name.v ?? null), r.v[2] as Fn, 'meta'), r.pos)
  }
}

function statementBlock(pc: PCtx): P<Statement[]> {
  const p = delimitedPattern(
    seq(charSquigOpen, wsnc),
    mappingStatement(pc, true, null),
    seq(discard(spacesAndTabs), newlineAllowComment, wsnc),
    seq(wsnc, charSquigClose),
  )
  return (s, pos) => {
    const r = p(s, pos)
    return r.ok
      ? ok(
          r.v.filter((x): x is Statement => x !== null),
          r.pos,
        )
      : r
  }
}

function rootLevelIfParser(pc: PCtx): P<Statement> {
  return (s, pos) => {
    const kw = expect(term('if'), 'assignment')(s, pos)
    if (!kw.ok) return kw
    const w = spacesAndTabs(s, kw.pos)
    if (!w.ok) return w
    const q = queryParser(pc)
    const cond = mustBe(q)(s, w.pos)
    if (!cond.ok) return cond
    const body = statementBlock(pc)(s, skipWs(s, cond.pos))
    if (!body.ok) return body
    const pairs: [Fn | null, Statement[]][] = [[cond.v, body.v]]
    let cur = body.pos
    for (;;) {
      const p = skipWs(s, cur)
      if (!s.startsWith('else if', p)) break
      const w2 = spacesAndTabs(s, p + 7)
      if (!w2.ok) break
      const c2 = mustBe(q)(s, w2.pos)
      if (!c2.ok) return c2
      const b2 = statementBlock(pc)(s, skipWs(s, c2.pos))
      if (!b2.ok) {
        if (isFatal(b2.err)) return b2
        break
      }
      pairs.push([c2.v, b2.v])
      cur = b2.pos
    }
    {
      const p = skipWs(s, cur)
      if (s.startsWith('else', p)) {
        const b3 = statementBlock(pc)(s, skipWs(s, p + 4))
        if (b3.ok) {
          pairs.push([null, b3.v])
          cur = b3.pos
        } else if (isFatal(b3.err)) return b3
      }
    }
    return ok(rootLevelIf(pos, pairs), cur)
  }
}

function importParser(pc: PCtx, maps: Map<string, MappingExecutor> | null): P<Statement | null> {
  return (s, pos) => {
    const kw = term('import')(s, pos)
    if (!kw.ok) return kw
    const w = spacesAndTabs(s, kw.pos)
    if (!w.ok) return w
    const fp = mustBe(expect(quotedString, 'filepath'))(s, w.pos)
    if (!fp.ok) return fp
    if (maps === null) return fail(fatalErr(pos, 'importing mappings is not allowed within this block'))
    const imported = loadImport(pc, fp.v, pos)
    if (!imported.ok) return imported
    const exec = imported.v
    if (exec.maps.size === 0) return fail(fatalErr(pos, `no maps to import from '${fp.v}'`))
    const collisions: string[] = []
    for (const [k, v] of exec.maps) {
      if (maps.has(k)) collisions.push(k)
      else maps.set(k, v)
    }
    if (collisions.length > 0) {
      return fail(fatalErr(pos, `map name collisions from import '${fp.v}': [${collisions.join(' ')}]`))
    }
    return ok(null, fp.pos)
  }
}

function loadImport(pc: PCtx, path: string, pos: number): R<MappingExecutor> {
  const importer = pc.env.importer
  let content: string
  let resolved: string
  try {
    if (importer === null) throw new PlainError('imports are disabled in this context')
    resolved = resolveImportPath(pc.importDir, path)
    content = importer(resolved)
  } catch (e) {
    return fail(fatalErr(pos, `failed to read import: ${toQueryError(e).message}`))
  }
  const next: PCtx = { ...pc, named: [], importDir: dirOf(resolved) }
  const r = parseExecutor(next)(content, 0)
  if (!r.ok) {
    const err = fatalErr(pos, r.err.fatal ?? '')
    err.importErr = { path, content, err: r.err }
    return fail(err)
  }
  return r
}

function resolveImportPath(dir: string, p: string): string {
  if (p.startsWith('/') || dir === '') return p
  return `${dir.replace(/\/$/, '')}/${p}`
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/')
  return i <= 0 ? (i === 0 ? '/' : '') : p.slice(0, i)
}

function mapParser(pc: PCtx, maps: Map<string, MappingExecutor> | null): P<Statement | null> {
  return (s, pos) => {
    const kw = term('map')(s, pos)
    if (!kw.ok) return kw
    const w = spacesAndTabs(s, kw.pos)
    if (!w.ok) return w
    const name = mustBe(expect(oneOf(quotedString, word), 'map name'))(s, w.pos)
    if (!name.ok) return name
    const w2 = spacesAndTabs(s, name.pos)
    if (!w2.ok) return w2
    const body = delimitedPattern(
      seq(charSquigOpen, wsnc),
      mappingStatement(pc, false, null),
      seq(discard(spacesAndTabs), newlineAllowComment, wsnc),
      seq(wsnc, charSquigClose),
    )(s, w2.pos)
    if (!body.ok) return body
    if (maps === null) return fail(fatalErr(pos, 'defining maps is not allowed within this block'))
    if (maps.has(name.v)) return fail(fatalErr(pos, `map name collision: ${name.v}`))
    maps.set(
      name.v,
      newExecutor(
        `map ${name.v}`,
        s,
        maps,
        body.v.filter((x): x is Statement => x !== null),
        pc.env.maxMapStacks,
        pos,
      ),
    )
    return ok(null, body.pos)
  }
}

function mappingStatement(
  pc: PCtx,
  enableMeta: boolean,
  maps: Map<string, MappingExecutor> | null,
): P<Statement | null> {
  const ps: P<Statement | null>[] = []
  if (maps !== null) ps.push(importParser(pc, maps), mapParser(pc, maps))
  ps.push(
    letStatementParser(pc),
    metaStatementParser(pc, enableMeta),
    plainMappingStatementParser(pc),
    rootLevelIfParser(pc),
  )
  return oneOf(...ps)
}

export function parseExecutor(pc: PCtx): P<MappingExecutor> {
  return (s, pos) => {
    const maps = new Map<string, MappingExecutor>()
    const statements: Statement[] = []
    const stmt = mappingStatement(pc, true, maps)
    let r = stmt(s, skipWs(s, pos))
    if (!r.ok) return r
    if (r.v !== null) statements.push(r.v)
    let cur = r.pos
    for (;;) {
      const w = spacesAndTabs(s, cur)
      if (w.ok) cur = w.pos
      if (cur >= s.length) break
      const nl = newlineAllowComment(s, cur)
      if (!nl.ok) return nl
      cur = skipWs(s, nl.pos)
      if (cur >= s.length) break
      r = stmt(s, cur)
      if (!r.ok) return r
      if (r.v !== null) statements.push(r.v)
      cur = r.pos
    }
    return ok(newExecutor('', s, maps, statements, pc.env.maxMapStacks), cur)
  }
}

function singleRootImport(pc: PCtx): P<MappingExecutor> {
  return (s, pos) => {
    let cur = skipWs(s, pos)
    if (!s.startsWith('from', cur)) return fail(perr(cur, 'from'))
    const w = spacesAndTabs(s, cur + 4)
    if (!w.ok) return w
    const fp = quotedString(s, w.pos)
    if (!fp.ok) return fp
    cur = skipWs(s, fp.pos)
    const imported = loadImport(pc, fp.v, pos)
    if (!imported.ok) return imported
    if (cur < s.length) {
      return fail(fatalErr(pos, `unexpected content after single root import: ${s.slice(cur)}`))
    }
    return ok(imported.v, cur)
  }
}

function singleRootMapping(pc: PCtx): P<MappingExecutor> {
  return (s, pos) => {
    const start = skipWs(s, pos)
    const q = queryParser(pc)(s, start)
    if (!q.ok) return q
    const after = skipWs(s, q.pos)
    if (after < s.length) {
      const text = s.slice(start, q.pos)
      const runes = Array.from(text)
      const shown = runes.length > 12 ? `${runes.slice(0, 12).join('')}...` : text
      return fail(
        perr(
          after,
          `the mapping to end here as the beginning is shorthand for \`root = ${shown}\`, but this shorthand form cannot be followed with more assignments`,
        ),
      )
    }
    const stmt = singleStatement(pos, pathAssignment([]), q.v)
    return ok(newExecutor('', s, new Map(), [stmt], pc.env.maxMapStacks), s.length)
  }
}

/** Failure position (how far a parser got) for bestMatch. */
function reach<T>(r: R<T>): number {
  return r.ok ? r.pos : r.err.pos
}

/** ParseMapping: a single-root import, a statement list, or a shorthand query. */
export function parseMapping(pc: PCtx, src: string): R<MappingExecutor> {
  const direct = singleRootImport(pc)(src, 0)
  if (!direct.ok && isFatal(direct.err)) return direct
  if (direct.ok && direct.pos >= src.length) return direct
  const exe = parseExecutor(pc)(src, 0)
  if (!exe.ok && isFatal(exe.err)) return exe
  const single = singleRootMapping(pc)(src, 0)
  // bestMatch: prefer whichever got further; on a tie prefer a success, left first.
  const le = reach(exe)
  const ri = reach(single)
  if (le === ri) {
    if (exe.ok) return exe
    if (single.ok) return single
  }
  if (ri > le) return single
  return exe
}

// ---------------------------------------------------------------------------------------------
// Interpolated fields

export type FieldPart = string | Fn

export function parseFieldParts(pc: PCtx, src: string): R<FieldPart[]> {
  const parts: FieldPart[] = []
  let pos = 0
  let text = ''
  const q = queryParser(pc)
  while (pos < src.length) {
    if (src.startsWith('${{!', pos)) {
      const end = src.indexOf('}}', pos + 4)
      if (end === -1) return fail(fatalErr(pos + 4, 'required', 'end of escaped expression'))
      text += `\${!${src.slice(pos + 4, end)}}`
      pos = end + 2
      continue
    }
    if (src.startsWith('${!', pos)) {
      let cur = pos + 3
      const w = spacesAndTabs(src, cur)
      if (w.ok) cur = w.pos
      const r = mustBe(q)(src, cur)
      if (!r.ok) return r
      cur = r.pos
      const w2 = spacesAndTabs(src, cur)
      if (w2.ok) cur = w2.pos
      if (src[cur] !== '}') return fail(fatalErr(cur, 'required', 'end of expression'))
      if (text !== '') parts.push(text)
      text = ''
      parts.push(r.v)
      pos = cur + 1
      continue
    }
    const next = src.indexOf('$', pos + 1)
    const end = next === -1 ? src.length : next
    text += src.slice(pos, end)
    pos = end
  }
  if (text !== '') parts.push(text)
  return ok(parts, pos)
}

// ---------------------------------------------------------------------------------------------
// Error rendering

/** Bento's LineAndColOf: rune offset, with line lengths measured in UTF-8 bytes. */
export function lineAndCol(src: string, pos: number): [number, number] {
  let char = Array.from(src.slice(0, pos)).length
  const lines = src.split('\n')
  let line = 0
  for (; line < lines.length; line++) {
    const len = new TextEncoder().encode(lines[line]).length
    if (char < len + 1) break
    char -= len + 1
  }
  return [line + 1, char + 1]
}

export function errorMessage(e: PErr, src: string, includeGot: boolean): string {
  const snippetRunes = Array.from(src.slice(e.pos, e.pos + 10))
    .slice(0, 5)
    .join('')
  let msg = e.fatal ?? ''
  if (e.expected.length === 0) {
    if (msg === '')
      msg = snippetRunes === '' ? 'encountered unexpected end of input' : 'encountered unexpected input'
    if (includeGot && snippetRunes !== '') msg += `: ${snippetRunes}`
    return msg
  }
  if (msg !== '') msg += ': '
  if (e.expected.length === 1) msg += `expected ${e.expected[0]}`
  else {
    const dedup = [...new Set(e.expected)]
    let buf = 'expected '
    dedup.forEach((exp, i) => {
      if (i === dedup.length - 1) {
        if (dedup.length > 2) buf += ','
        buf += ' or '
      } else if (i > 0) buf += ', '
      buf += exp
    })
    msg += buf
  }
  if (includeGot) msg += snippetRunes !== '' ? `, got: ${snippetRunes}` : ', but reached end of input'
  return msg
}

/** `line L char C: msg` (ErrorAtPosition). */
export function errorAtPosition(e: PErr, src: string): string {
  let errStr: string
  if (e.importErr) {
    errStr = `failed to parse import '${e.importErr.path}': ${errorAtPosition(e.importErr.err, e.importErr.content)}`
  } else errStr = errorMessage(e, src, false)
  const [line, col] = lineAndCol(src, e.pos)
  return `line ${line} char ${col}: ${errStr}`
}

/** `char C: msg` (ErrorAtChar), used for interpolated fields. */
export function errorAtChar(e: PErr, src: string): string {
  const char = Array.from(src.slice(0, e.pos)).length
  return `char ${char + 1}: ${errorMessage(e, src, false)}`
}
