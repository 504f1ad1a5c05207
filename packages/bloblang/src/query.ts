// Query building blocks: every parsed expression becomes an `Fn`, a plain closure plus the
// annotation Bento uses in error messages. Parsing builds these once; executing a mapping only
// calls closures (no AST walking per message).

import {
  errFrom,
  MismatchError,
  NoContextError,
  PlainError,
  plainErr,
  type QueryError,
  TypeError_,
  typeError,
  wrapErr,
} from './errors.ts'
import {
  bytesToString,
  compareValues,
  DELETE,
  float64,
  getBool,
  getInt,
  getKey,
  getNumber,
  getString,
  getUint,
  int64,
  isNullish,
  isObject,
  NOTHING,
  Num,
  numClass,
  restrict,
  sanitize,
  setKey,
  Timestamp,
  toBigInt,
  typeOf,
  uint64,
  type Value,
  type VObject,
} from './value.ts'

// ---------------------------------------------------------------------------------------------
// Execution context

/** Metadata of the message being built (Bento's NewMeta). Values are typed. */
export type Meta = Map<string, Value>

/** A message of the batch being mapped. */
export interface MessagePart {
  /** Raw content. */
  bytes(): Uint8Array
  /** Parsed JSON content (throws a QueryError when it isn't JSON). */
  structured(): Value
  metadata: Meta
  error?: string | null
  /** W3C traceparent of the message's tracing span (tracing_span(), tracing_id()). */
  traceparent?: string | null
  /** The message's flow ID (flow_id()). */
  flowId?: string
  /** The component that set the error (error_source_label/path/type()). */
  errorSource?: ErrorSource | null
}

export interface ErrorSource {
  label: string
  path: string
  type: string
}

export interface Batch {
  parts: MessagePart[]
}

export interface MapDef {
  name: string
  exec(ctx: Ctx): Value
}

/** Bento's FunctionContext. Copied (never mutated) when the context value changes. */
export interface Ctx {
  /** The current `this` (undefined = not set; falls back to `lazy`). */
  value: Value | undefined
  /** One level of saved context (Bento keeps exactly one). */
  next: Value | undefined
  named: NamedValue | null
  /** Resolves the message's structured content (`this` at the top level). */
  lazy: (() => Value | undefined) | null
  vars: Map<string, Value> | null
  maps: Map<string, MapDef> | null
  meta: Meta | null
  /** The document being built (`root`), or null where `root` can't be referenced. */
  root: { v: Value } | null
  batch: Batch | null
  index: number
  stack: number
}

export interface NamedValue {
  name: string
  value: Value
  next: NamedValue | null
}

export function emptyCtx(): Ctx {
  return {
    value: undefined,
    next: undefined,
    named: null,
    lazy: null,
    vars: new Map(),
    maps: null,
    meta: null,
    root: null,
    batch: null,
    index: 0,
    stack: 0,
  }
}

export function ctxValue(ctx: Ctx): Value | undefined {
  if (ctx.value !== undefined) return ctx.value
  return ctx.lazy === null ? undefined : ctx.lazy()
}

export function withValue(ctx: Ctx, v: Value): Ctx {
  return {
    value: v,
    next: ctx.value,
    named: ctx.named,
    lazy: ctx.lazy,
    vars: ctx.vars,
    maps: ctx.maps,
    meta: ctx.meta,
    root: ctx.root,
    batch: ctx.batch,
    index: ctx.index,
    stack: ctx.stack,
  }
}

function popValue(ctx: Ctx): Ctx {
  return {
    value: ctx.next,
    next: undefined,
    named: ctx.named,
    lazy: ctx.lazy,
    vars: ctx.vars,
    maps: ctx.maps,
    meta: ctx.meta,
    root: ctx.root,
    batch: ctx.batch,
    index: ctx.index,
    stack: ctx.stack,
  }
}

export function currentPart(ctx: Ctx): MessagePart | null {
  return ctx.batch?.parts[ctx.index] ?? null
}

// ---------------------------------------------------------------------------------------------
// Fn

export type FnKind = 'closure' | 'literal' | 'field' | 'get' | 'named' | 'not'

export interface Fn {
  kind: FnKind
  ann: string
  exec: (ctx: Ctx) => Value
  /** literal: the value. */
  value?: Value
  /** field/get: the path. */
  path?: string[]
  /** field: the named context ('' = this), or 'root' semantics via fromRoot. */
  named?: string
  fromRoot?: boolean
  /** get: the target. */
  target?: Fn
  /** named (lambda): the context name. */
  name?: string
}

export function closure(ann: string, exec: (ctx: Ctx) => Value): Fn {
  return { kind: 'closure', ann, exec }
}

export function literal(v: Value, ann = ''): Fn {
  return {
    kind: 'literal',
    ann: ann === '' ? `${typeOf(v)} literal` : ann,
    exec: () => v,
    value: v,
  }
}

// ---------------------------------------------------------------------------------------------
// Paths (gabs semantics)

/** gabs.DotPathToSlice: split on '.', then ~1 → '.', ~0 → '~'. */
export function dotPathToSlice(path: string): string[] {
  const parts = path.split('.')
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string
    if (p.includes('~')) parts[i] = p.replaceAll('~1', '.').replaceAll('~0', '~')
  }
  return parts
}

/** query.SliceToDotPath: re-escape segments and join with '.'. */
export function sliceToDotPath(path: string[]): string {
  return path.map((p) => p.replaceAll('~', '~0').replaceAll('.', '~1')).join('.')
}

const INDEX_RE = /^[+-]?\d+$/

/** gabs Search: missing paths give undefined; '*' on an array fans out. */
export function searchPath(v: Value | undefined, path: string[], from = 0): Value | undefined {
  let cur = v
  for (let i = from; i < path.length; i++) {
    const seg = path[i] as string
    if (cur === null || typeof cur !== 'object') return undefined
    if (Array.isArray(cur)) {
      if (seg === '*') {
        if (i + 1 >= path.length) return cur.length === 0 ? undefined : cur
        const out: Value[] = []
        for (const el of cur) {
          const r = searchPath(el, path, i + 1)
          if (r !== undefined) out.push(r)
        }
        return out.length === 0 ? undefined : out
      }
      if (!INDEX_RE.test(seg)) return undefined
      const idx = Number(seg)
      if (idx < 0 || idx >= cur.length) return undefined
      cur = cur[idx]
      continue
    }
    if (!isObject(cur)) return undefined
    cur = getKey(cur, seg)
    if (cur === undefined) return undefined
  }
  return cur
}

// ---------------------------------------------------------------------------------------------
// Field references

export function fieldFn(named: string, fromRoot: boolean, path: string[]): Fn {
  let base = named
  if (fromRoot) base = 'root'
  else if (base === '') base = 'this'
  const ann = `field \`${path.length > 0 ? `${base}.${sliceToDotPath(path)}` : base}\``
  let exec: (ctx: Ctx) => Value
  const single = path.length === 1 ? (path[0] as string) : null
  const lookup =
    path.length === 0
      ? (t: Value) => t
      : single !== null && !INDEX_RE.test(single) && single !== '*'
        ? (t: Value) => {
            if (isObject(t)) {
              const r = getKey(t, single)
              return r === undefined ? null : r
            }
            return null
          }
        : (t: Value) => {
            const r = searchPath(t, path)
            return r === undefined ? null : r
          }
  if (fromRoot) {
    exec = (ctx) => {
      if (ctx.root === null) throw plainErr('unable to reference `root` from this context')
      return lookup(ctx.root.v)
    }
  } else if (named === '') {
    const fieldName = path.length > 0 ? sliceToDotPath(path) : ''
    exec = (ctx) => {
      const v = ctx.value !== undefined ? ctx.value : ctx.lazy === null ? undefined : ctx.lazy()
      if (v === undefined) throw new NoContextError(fieldName)
      return lookup(v)
    }
  } else {
    exec = (ctx) => {
      for (let n = ctx.named; n !== null; n = n.next) if (n.name === named) return lookup(n.value)
      throw plainErr(`named context ${named} was not found`)
    }
  }
  return { kind: 'field', ann, exec, path, named, fromRoot }
}

/** NewGetMethod: `target.path`, merged into field references where possible. */
export function getFn(target: Fn, pathStr: string): Fn {
  const path = dotPathToSlice(pathStr)
  if (target.kind === 'get') return makeGet(target.target as Fn, [...(target.path as string[]), ...path])
  if (target.kind === 'field') {
    return fieldFn(target.named as string, target.fromRoot as boolean, [
      ...(target.path as string[]),
      ...path,
    ])
  }
  return makeGet(target, path)
}

function makeGet(target: Fn, path: string[]): Fn {
  return {
    kind: 'get',
    ann: `path \`${sliceToDotPath(path)}\``,
    exec: (ctx) => {
      const r = searchPath(target.exec(ctx), path)
      return r === undefined ? null : r
    },
    path,
    target,
  }
}

export function metaFn(key: string | null): Fn {
  if (key !== null && key !== '') {
    return closure(`meta field ${key}`, (ctx) => {
      if (ctx.meta === null) throw plainErr('metadata cannot be queried in this context')
      const v = ctx.meta.get(key)
      return v === undefined ? null : v
    })
  }
  return closure('meta object', (ctx) => {
    if (ctx.meta === null) throw plainErr('metadata cannot be queried in this context')
    const out: VObject = {}
    for (const [k, v] of ctx.meta) out[k] = v
    return out
  })
}

export function varFn(name: string): Fn {
  return closure(`variable ${name}`, (ctx) => {
    if (ctx.vars === null) throw plainErr('variables were undefined')
    const v = ctx.vars.get(name)
    if (v === undefined) throw plainErr(`variable '${name}' undefined`)
    return v
  })
}

/** A lambda `name -> fn`: captures the current context under a name and pops it. */
export function namedContextFn(name: string, fn: Fn): Fn {
  return {
    kind: 'named',
    ann: fn.ann,
    name,
    exec: (ctx) => {
      const v = ctxValue(ctx)
      if (v === undefined) throw wrapErr(`failed to capture context ${name}`, new NoContextError(''))
      const next = popValue(ctx)
      if (name !== '_') next.named = { name, value: v, next: ctx.named }
      return fn.exec(next)
    },
  }
}

export function notFn(fn: Fn): Fn {
  return {
    kind: 'not',
    ann: `not ${fn.ann}`,
    exec: (ctx) => {
      const v = fn.exec(ctx)
      if (typeof v !== 'boolean') throw typeError(v, ['bool'], fn.ann)
      return !v
    },
  }
}

/** `target.(query)`. */
export function mapExpressionFn(target: Fn, mapFn: Fn): Fn {
  return closure(mapFn.ann, (ctx) => mapFn.exec(withValue(ctx, target.exec(ctx))))
}

// ---------------------------------------------------------------------------------------------
// Bracket index and slice

export function indexFn(target: Fn, indexExpr: Fn): Fn {
  return closure('index', (ctx) => {
    const t = target.exec(ctx)
    const iv = indexExpr.exec(ctx)
    let index: number
    try {
      index = Number(getInt(iv))
    } catch (e) {
      throw wrapErr('index', e)
    }
    let length: number
    let bytes: Uint8Array | null = null
    if (typeof t === 'string') {
      bytes = new TextEncoder().encode(t)
      length = bytes.length
    } else if (t instanceof Uint8Array) length = t.length
    else if (Array.isArray(t)) length = t.length
    else throw typeError(t, ['array', 'string'])
    if (index < 0) index += length
    if (index < 0 || index >= length) throw plainErr(`index ${index} out of bounds for length ${length}`)
    if (bytes !== null) return String.fromCharCode(bytes[index] as number)
    if (t instanceof Uint8Array) return t[index] as number
    return (t as Value[])[index] as Value
  })
}

export function sliceFn(target: Fn, start: Fn | null, end: Fn | null, step: Fn | null): Fn {
  const bound = (f: Fn | null, ctx: Ctx, what: string): number | null => {
    if (f === null) return null
    const v = f.exec(ctx)
    try {
      return Number(getInt(v))
    } catch (e) {
      throw wrapErr(what, e)
    }
  }
  return closure('slice', (ctx) => {
    const t = target.exec(ctx)
    const s = bound(start, ctx, 'slice start bound')
    const e = bound(end, ctx, 'slice end bound')
    const st = bound(step, ctx, 'slice step')
    if (st === 0) throw plainErr('slice step cannot be zero')
    if (st === null && s !== null && e !== null && s > e)
      throw plainErr(`lower slice bound (${s}) must be lower than upper (${e})`)
    const pick = <T>(items: T[]): T[] => {
      const [a, b, k] = normalizeSliceBounds(items.length, s, e, st)
      const out: T[] = []
      if (k > 0) for (let i = a; i < b; i += k) out.push(items[i] as T)
      else for (let i = a; i > b; i += k) if (i < items.length) out.push(items[i] as T)
      return out
    }
    if (typeof t === 'string') return pick(Array.from(t)).join('')
    if (t instanceof Uint8Array) return Uint8Array.from(pick(Array.from(t)))
    if (Array.isArray(t)) return pick(t)
    throw typeError(t, ['array', 'string'])
  })
}

function normalizeSliceBounds(
  length: number,
  start: number | null,
  end: number | null,
  step: number | null,
): [number, number, number] {
  const k = step ?? 1
  let s: number
  if (start === null) s = k > 0 ? 0 : length - 1
  else {
    s = start
    if (s < 0) s = Math.max(length + s, 0)
    if (k > 0) s = Math.min(s, length)
  }
  let e: number
  if (end === null) e = k > 0 ? length : -1
  else {
    e = end
    if (e < 0) e = Math.max(length + e, -1)
    if (k > 0) e = Math.min(e, length)
  }
  return [s, e, k]
}

// ---------------------------------------------------------------------------------------------
// if / match

/** Go's `%v (%T)` rendering of a value, for non-boolean condition errors. */
export function goValueAndType(v: Value): string {
  return `${goFmtV(v)} (${goTypeName(v)})`
}

export function goFmtV(v: Value | undefined): string {
  if (v === null || v === undefined) return '<nil>'
  if (typeof v === 'string') return v
  if (typeof v === 'number' || v instanceof Num) {
    const s = sanitize(v)
    if (v instanceof Num && v.kind === 'json') return v.text
    if (typeof s === 'number') return Number.isInteger(s) ? String(s) : String(s)
    return s instanceof Num ? (s.kind === 'float' ? String(s.f) : s.big.toString()) : ''
  }
  if (typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return `[${v.map(goFmtV).join(' ')}]`
  if (v instanceof Uint8Array) return `[${Array.from(v).join(' ')}]`
  if (v instanceof Timestamp) return getString(v)
  if (typeof v === 'symbol') return '<nil>'
  const keys = Object.keys(v).sort()
  return `map[${keys.map((k) => `${k}:${goFmtV((v as VObject)[k])}`).join(' ')}]`
}

export function goTypeName(v: Value | undefined): string {
  if (v === null || v === undefined || typeof v === 'symbol') return '<nil>'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64'
  if (v instanceof Num) return { int: 'int64', uint: 'uint64', float: 'float64', json: 'json.Number' }[v.kind]
  if (Array.isArray(v)) return '[]interface {}'
  if (v instanceof Uint8Array) return '[]uint8'
  if (v instanceof Timestamp) return 'time.Time'
  return 'map[string]interface {}'
}

export function ifFn(cond: Fn, then: Fn, elseIfs: [Fn, Fn][], otherwise: Fn | null): Fn {
  const check = (f: Fn, ctx: Ctx, label: string): boolean => {
    let v: Value
    try {
      v = f.exec(ctx)
    } catch (e) {
      throw wrapErr(label, e)
    }
    if (typeof v === 'boolean') return v
    if (v === null) return false
    throw plainErr(`${f.ann} resolved to a non-boolean value ${goValueAndType(v)}`)
  }
  return closure('if expression', (ctx) => {
    if (check(cond, ctx, 'failed to check if condition')) return then.exec(ctx)
    for (let i = 0; i < elseIfs.length; i++) {
      const [q, m] = elseIfs[i] as [Fn, Fn]
      if (check(q, ctx, `failed to check if condition ${i + 1}`)) return m.exec(ctx)
    }
    if (otherwise !== null) return otherwise.exec(ctx)
    return NOTHING
  })
}

export interface MatchCase {
  caseFn: Fn
  queryFn: Fn
}

export function matchFn(contextFn: Fn | null, cases: MatchCase[]): Fn {
  return closure('match expression', (ctx) => {
    let v: Value
    if (contextFn === null) {
      const cur = ctxValue(ctx)
      v = cur === undefined ? null : cur
    } else v = contextFn.exec(ctx)
    const caseCtx = withValue(ctx, v)
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i] as MatchCase
      let r: Value
      try {
        r = c.caseFn.exec(caseCtx)
      } catch (e) {
        throw wrapErr(`failed to check match case ${i}`, e)
      }
      if (r === true) return c.queryFn.exec(caseCtx)
    }
    return NOTHING
  })
}

/** A literal match case: compares the context value with the literal. */
export function literalCaseFn(lit: Value): Fn {
  return closure('case statement', (ctx) => {
    const v = ctxValue(ctx)
    if (v === undefined) return false
    return compareValues(v, lit)
  })
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

export type Op = '+' | '-' | '/' | '*' | '%' | '&&' | '||' | '==' | '!=' | '>=' | '<=' | '>' | '<' | '|'

const OP_NAME: Record<Op, string> = {
  '+': 'add',
  '-': 'subtract',
  '/': 'divide',
  '*': 'multiply',
  '%': 'modulo',
  '==': 'compare',
  '!=': 'compare',
  '>': 'compare',
  '<': 'compare',
  '>=': 'compare',
  '<=': 'compare',
  '&&': 'boolean and',
  '||': 'boolean or',
  '|': 'coalesce',
}

type BinOp = (l: Value, r: Value, lf: Fn, rf: Fn) => Value

function mismatch(op: Op, lf: Fn, rf: Fn, l: Value, r: Value): MismatchError {
  return new MismatchError(OP_NAME[op], typeOf(l), lf.ann, typeOf(r), rf.ann)
}

/**
 * Bento sanitises operands first here (ISanitize): timestamps are reported as strings, and so
 * are JSON numbers out of float64 range (json.Number.Float64 fails).
 */
function numMismatch(op: Op, lf: Fn, rf: Fn, l: Value, r: Value): MismatchError {
  return mismatch(op, lf, rf, sanitizedForType(l), sanitizedForType(r))
}

function sanitizedForType(v: Value): Value {
  if (v instanceof Timestamp) return ''
  return v instanceof Num && v.kind === 'json' ? sanitize(v) : v
}

/**
 * numberDegradationFunc: float if either side is a float, else int64 if either is an int,
 * else uint64. Calls exactly one of the three implementations.
 */
function numeric(
  op: Op,
  ui: (a: bigint, b: bigint) => Value,
  ii: (a: number | bigint, b: number | bigint) => Value,
  ff: (a: number, b: number) => Value,
): BinOp {
  return (l, r, lf, rf) => {
    const lc = numClass(l)
    const rc = numClass(r)
    if (lc === 'f' || rc === 'f') {
      if (lc === null || rc === null) throw numMismatch(op, lf, rf, l, r)
      return ff(getNumber(l), getNumber(r))
    }
    if (lc === 'i' || rc === 'i') {
      if (lc === null || rc === null) throw numMismatch(op, lf, rf, l, r)
      return ii(getInt(l), getInt(r))
    }
    if (lc === null || rc === null) throw numMismatch(op, lf, rf, l, r)
    let a: bigint
    let b: bigint
    try {
      a = getUint(l)
      b = getUint(r)
    } catch {
      throw numMismatch(op, lf, rf, l, r)
    }
    return ui(a, b)
  }
}

function big(x: number | bigint): bigint {
  return typeof x === 'bigint' ? x : BigInt(x)
}

const addOp = numeric(
  '+',
  (a, b) => uint64(a + b),
  (a, b) => {
    if (typeof a === 'number' && typeof b === 'number') {
      const r = a + b
      if (Number.isSafeInteger(r)) return r
    }
    return int64(big(a) + big(b))
  },
  (a, b) => float64(a + b),
)

const subOp = numeric(
  '-',
  (a, b) => uint64(a - b),
  (a, b) => {
    if (typeof a === 'number' && typeof b === 'number') {
      const r = a - b
      if (Number.isSafeInteger(r)) return r
    }
    return int64(big(a) - big(b))
  },
  (a, b) => float64(a - b),
)

const mulOp = numeric(
  '*',
  (a, b) => uint64(a * b),
  (a, b) => {
    if (typeof a === 'number' && typeof b === 'number') {
      const r = a * b
      if (Number.isSafeInteger(r)) return r === 0 ? 0 : r
    }
    return int64(big(a) * big(b))
  },
  (a, b) => float64(a * b),
)

function divOp(l: Value, r: Value, lf: Fn, rf: Fn): Value {
  let a: number
  let b: number
  try {
    a = getNumber(l)
    b = getNumber(r)
  } catch {
    throw mismatch('/', lf, rf, l, r)
  }
  if (b === 0) throw errFrom(plainErr('attempted to divide by zero'), rf.ann)
  return float64(a / b)
}

function modOp(l: Value, r: Value, lf: Fn, rf: Fn): Value {
  let a: number | bigint
  let b: number | bigint
  try {
    a = getInt(l)
    b = getInt(r)
  } catch {
    throw mismatch('%', lf, rf, l, r)
  }
  if (b === 0 || b === 0n) throw errFrom(plainErr('attempted to divide by zero'), rf.ann)
  if (typeof a === 'number' && typeof b === 'number') {
    const m = a % b
    return m === 0 ? 0 : m
  }
  return int64(big(a) % big(b))
}

function plusOp(l: Value, r: Value, lf: Fn, rf: Fn): Value {
  if (typeof l === 'number' && typeof r === 'number') {
    const s = l + r
    if (Number.isInteger(l) && Number.isInteger(r)) {
      if (Number.isSafeInteger(s)) return s
      return int64(BigInt(l) + BigInt(r))
    }
    return float64(s)
  }
  if (typeof l === 'number') return addOp(l, r, lf, rf)
  if (l instanceof Num) {
    // Sized Go types (int32(), float32(), ...) are not accepted on the left of `+`.
    if (l.text !== '' && l.kind !== 'json') throw mismatch('+', lf, rf, l, r)
    return addOp(l, r, lf, rf)
  }
  if (typeof l === 'string' || l instanceof Uint8Array) {
    let a: string
    let b: string
    try {
      a = getString(l)
      b = getString(r)
    } catch {
      throw mismatch('+', lf, rf, l, r)
    }
    return a + b
  }
  throw mismatch('+', lf, rf, l, r)
}

function compareOp(op: Op): BinOp {
  const eqOnly = op === '==' || op === '!='
  const cmp = <T extends number | bigint | string | boolean>(a: T, b: T): boolean => {
    switch (op) {
      case '==':
        return a === b
      case '!=':
        return a !== b
      case '>':
        return a > b
      case '>=':
        return a >= b
      case '<':
        return a < b
      default:
        return a <= b
    }
  }
  const generic = (l: Value | undefined, r: Value | undefined): boolean =>
    op === '==' ? compareValues(l, r) : !compareValues(l, r)
  const num = numeric(
    op,
    (a, b) => cmp(a, b),
    (a, b) => (typeof a === 'number' && typeof b === 'number' ? cmp(a, b) : cmp(big(a), big(b))),
    (a, b) => cmp(a, b),
  )
  return (l, r, lf, rf) => {
    const lhs = restrict(l)
    if (typeof lhs === 'string') {
      let rs: string
      try {
        rs = getString(r)
      } catch {
        if (!eqOnly) throw mismatch(op, lf, rf, l, r)
        return generic(lhs, restrict(r))
      }
      return cmp(lhs, rs)
    }
    if (typeof lhs === 'number') {
      try {
        return num(l, r, lf, rf)
      } catch (e) {
        if (!eqOnly) throw e
        return generic(lhs, restrict(r))
      }
    }
    if (typeof lhs === 'boolean') {
      if (!eqOnly) throw mismatch(op, lf, rf, l, r)
      let rb: boolean
      try {
        rb = getBool(r)
      } catch {
        return generic(lhs, restrict(r))
      }
      return cmp(lhs, rb)
    }
    if (!eqOnly) throw mismatch(op, lf, rf, l, r)
    return generic(l, r)
  }
}

function arithmeticFn(lhs: Fn, rhs: Fn, op: BinOp): Fn {
  const ann = rhs.ann
  if (lhs.kind === 'literal' && rhs.kind === 'literal') {
    // Constant folding, like Bento (so `5 + "a"` fails at parse time).
    return literal(op(lhs.value as Value, rhs.value as Value, lhs, rhs), ann)
  }
  const le = lhs.exec
  const re = rhs.exec
  return closure(ann, (ctx) => op(le(ctx), re(ctx), lhs, rhs))
}

function coalesceFn(lhs: Fn, rhs: Fn): Fn {
  const le = lhs.exec
  const re = rhs.exec
  return closure(rhs.ann, (ctx) => {
    let v: Value
    try {
      v = le(ctx)
    } catch {
      return re(ctx)
    }
    if (isNullish(v)) return re(ctx)
    return v
  })
}

function boolFn(lhs: Fn, rhs: Fn, and: boolean): Fn {
  const le = lhs.exec
  const re = rhs.exec
  return closure(rhs.ann, (ctx) => {
    const b = getBool(le(ctx))
    if (and ? !b : b) return b
    return getBool(re(ctx))
  })
}

function prodOp(op: Op): BinOp | null {
  if (op === '*') return mulOp
  if (op === '/') return divOp
  if (op === '%') return modOp
  return null
}

/** NewArithmeticExpression: four precedence passes, left associative. */
export function arithmetic(fns: Fn[], ops: Op[]): Fn {
  if (fns.length === 1) return fns[0] as Fn
  let curFns = [fns[0] as Fn]
  let curOps: Op[] = []
  ops.forEach((op, i) => {
    const left = curFns[curFns.length - 1] as Fn
    const right = fns[i + 1] as Fn
    const p = prodOp(op)
    if (p !== null) curFns[curFns.length - 1] = arithmeticFn(left, right, p)
    else if (op === '|') curFns[curFns.length - 1] = coalesceFn(left, right)
    else {
      curFns.push(right)
      curOps.push(op)
    }
  })
  const pass = (pick: (op: Op, l: Fn, r: Fn) => Fn | null): void => {
    const nextFns = [curFns[0] as Fn]
    const nextOps: Op[] = []
    curOps.forEach((op, i) => {
      const left = nextFns[nextFns.length - 1] as Fn
      const right = curFns[i + 1] as Fn
      const r = pick(op, left, right)
      if (r !== null) nextFns[nextFns.length - 1] = r
      else {
        nextFns.push(right)
        nextOps.push(op)
      }
    })
    curFns = nextFns
    curOps = nextOps
  }
  pass((op, l, r) =>
    op === '+' ? arithmeticFn(l, r, plusOp) : op === '-' ? arithmeticFn(l, r, subOp) : null,
  )
  pass((op, l, r) =>
    op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<='
      ? arithmeticFn(l, r, compareOp(op))
      : null,
  )
  pass((op, l, r) => (op === '&&' ? boolFn(l, r, true) : op === '||' ? boolFn(l, r, false) : null))
  if (curFns.length !== 1) throw plainErr(`unresolved arithmetic operators (${curOps.join(' ')})`)
  return curFns[0] as Fn
}

/** Unary minus: `0 - x`. */
export function negate(fn: Fn): Fn {
  return arithmetic([literal(0), fn], ['-'])
}

// ---------------------------------------------------------------------------------------------
// Literals

export function arrayLiteral(items: Fn[]): Fn {
  if (items.every((f) => f.kind === 'literal')) {
    const vals = items.map((f) => f.value as Value).filter((v) => v !== DELETE && v !== NOTHING)
    return literal(vals)
  }
  return closure('array literal', (ctx) => {
    const out: Value[] = []
    for (const f of items) {
      const v = f.exec(ctx)
      if (v !== DELETE && v !== NOTHING) out.push(v)
    }
    return out
  })
}

/** NewMapLiteral: static when every key and value is a literal. Keys are strings or queries. */
export function objectLiteral(pairs: [string | Fn, Fn][]): Fn {
  let dynamic = false
  const keys: (string | Fn)[] = []
  for (const [k, v] of pairs) {
    if (typeof k === 'string') keys.push(k)
    else if (k.kind === 'literal') {
      if (typeof k.value !== 'string') {
        throw plainErr(`object keys must be strings, received: ${goTypeName(k.value)}`)
      }
      keys.push(k.value)
    } else {
      dynamic = true
      keys.push(k)
    }
    if (v.kind !== 'literal') dynamic = true
  }
  if (!dynamic) {
    const out: VObject = {}
    pairs.forEach(([, vf], i) => {
      const v = vf.value as Value
      if (v !== DELETE && v !== NOTHING) setKey(out, keys[i] as string, v)
    })
    return literal(out)
  }
  return closure('object literal', (ctx) => {
    const out: VObject = {}
    for (let i = 0; i < pairs.length; i++) {
      const k = keys[i] as string | Fn
      let key: string
      if (typeof k === 'string') key = k
      else {
        let kv: Value
        try {
          kv = k.exec(ctx)
        } catch (e) {
          throw wrapErr('failed to resolve key', e)
        }
        if (typeof kv === 'string') key = kv
        else if (kv instanceof Uint8Array) key = bytesToString(kv)
        else throw plainErr(`mapping returned invalid key type: ${goTypeName(kv)}`)
      }
      const vf = (pairs[i] as [string | Fn, Fn])[1]
      let v: Value
      if (vf.kind === 'literal') v = vf.value as Value
      else {
        try {
          v = vf.exec(ctx)
        } catch (e) {
          throw wrapErr(`failed to resolve '${key}' value`, e)
        }
      }
      if (v === DELETE || v === NOTHING) continue
      setKey(out, key, v)
    }
    return out
  })
}

// ---------------------------------------------------------------------------------------------
// Helpers for method implementations

export function isQueryError(e: unknown): e is QueryError {
  return e instanceof PlainError || e instanceof TypeError_ || (typeof e === 'object' && e !== null)
}

export { bytesToString, toBigInt }
