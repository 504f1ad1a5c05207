// Public API of @bento-ts/bloblang.

import { BloblangExecError, BloblangParseError, toQueryError } from './errors.ts'
import { standardEnvironment } from './library.ts'
import {
  type AssignCtx,
  type FailedAssignmentError,
  finalRootWriter,
  type MappingExecutor,
  type Statement,
  statementError,
} from './mapping.ts'
import {
  errorAtChar,
  errorAtPosition,
  errorMessage,
  type FieldPart,
  lineAndCol,
  type PErr,
  parseFieldParts,
  parseMapping,
} from './parser.ts'
import type { Batch, Ctx, ErrorSource, MessagePart, Meta } from './query.ts'
import type { Environment } from './registry.ts'
import {
  bytesToString,
  DELETE,
  encodeJSON,
  jsonEncodeState,
  NOTHING,
  parseJSON,
  stringToBytes,
  toBytesValue,
  toStringValue,
  type Value,
} from './value.ts'

export { BloblangExecError, BloblangParseError } from './errors.ts'
export type { CacheProvider } from './functions/extra.ts'
export { cacheProviders } from './functions/extra.ts'
export type { Ctx, ErrorSource, Fn, MessagePart, Meta } from './query.ts'
export { closure, ctxValue, literal } from './query.ts'
export type { FunctionSpec, MethodSpec, ParamDef, ParamsSpec, ParamType } from './registry.ts'
export { Args, Environment, simpleFunction, simpleMethod } from './registry.ts'
export type { Value, VObject } from './value.ts'
export {
  DELETE,
  encodeJSON,
  encodeJSONIndent,
  float64,
  int64,
  metaToString,
  metaToString as toStringValue,
  NOTHING,
  Num,
  parseJSON,
  Timestamp,
  typeOf,
  uint64,
} from './value.ts'

export type MetadataInput = Map<string, unknown> | Record<string, unknown>

export interface MessageInput {
  content: Uint8Array | string
  metadata?: MetadataInput
  /** The error flag of the message (what `error()` and `errored()` see). */
  error?: string | null
  /** The component that flagged the error (`error_source_label()`, `_path()`, `_type()`). */
  errorSource?: ErrorSource | null
  /** W3C traceparent of the message's tracing span (`tracing_span()`, `tracing_id()`). */
  traceparent?: string | null
  /** The message's flow ID (`flow_id()`). */
  flowId?: string
}

export interface MessageOutput {
  /** The new payload (unchanged input bytes when the mapping didn't assign root). */
  content: Uint8Array
  metadata: Map<string, Value>
  /** `root = deleted()`: the message should be dropped. */
  deleted: boolean
}

export interface ParseOptions {
  env?: Environment
  /** Directory relative imports resolve against (default: process.cwd()). */
  importDir?: string
}

export interface ApplyOptions {
  /** Mutation semantics: root starts as the input document (Bento's `mutation` processor). */
  mutation?: boolean
  /** Other messages of the batch (for batch_size(), from(), ...). `msg` is at `index`. */
  batch?: MessageInput[]
  index?: number
  /**
   * Bento's MapOnto (a branch's result_map): `root` starts as this message's payload and `@`
   * reads and writes its metadata, while `this` and `metadata()` still read `msg`.
   */
  onto?: MessageInput
}

let defaultEnv: Environment | null = null

/** The environment with every built-in function and method (shared; clone before changing). */
export function globalEnvironment(): Environment {
  if (defaultEnv === null) defaultEnv = standardEnvironment()
  return defaultEnv
}

/** A fresh environment with the built-ins, to register more functions/methods on. */
export function createEnvironment(): Environment {
  return globalEnvironment().clone()
}

function toParseError(e: PErr, src: string): BloblangParseError {
  const [line, col] = lineAndCol(src, e.pos)
  const detail = e.importErr
    ? errorAtPosition(e, src).replace(/^line \d+ char \d+: /, '')
    : errorMessage(e, src, true)
  return new BloblangParseError(errorAtPosition(e, src), line, col, detail)
}

const MESSAGE_EMPTY = new Error('message is empty')

/** A message part built from the public input shape: bytes and JSON are read on demand. */
class InputPart implements MessagePart {
  #bytes: Uint8Array | null
  #text: string | null
  #parsed: Value | undefined = undefined
  #parseErr: unknown = null
  readonly metadata: Meta
  readonly error: string | null
  readonly traceparent: string | null
  readonly flowId: string
  readonly errorSource: ErrorSource | null
  constructor(input: MessageInput) {
    const raw = input.content
    this.#bytes = typeof raw === 'string' ? null : raw
    this.#text = typeof raw === 'string' ? raw : null
    const md = input.metadata
    let meta: Meta
    // The part's own metadata is only read: a caller's Map is used as it is.
    if (md instanceof Map) meta = md as Meta
    else {
      meta = new Map()
      if (md)
        for (const k of Object.keys(md)) {
          const v = md[k] as Value
          // Like service.Message.MetaSet (how inputs set metadata): an empty string sets nothing.
          if (v !== '') meta.set(k, v)
        }
    }
    this.metadata = meta
    this.error = input.error ?? null
    this.traceparent = input.traceparent ?? null
    this.flowId = input.flowId ?? ''
    this.errorSource = input.errorSource ?? null
  }
  bytes(): Uint8Array {
    if (this.#bytes === null) this.#bytes = stringToBytes(this.#text as string)
    return this.#bytes
  }
  structured(): Value {
    if (this.#parsed !== undefined) return this.#parsed
    if (this.#parseErr === null) {
      if (this.#text === null) this.#text = bytesToString(this.#bytes as Uint8Array)
      if (this.#text.length === 0) this.#parseErr = MESSAGE_EMPTY
      else {
        try {
          this.#parsed = parseJSON(this.#text)
          return this.#parsed
        } catch (e) {
          this.#parseErr = e
        }
      }
    }
    throw this.#parseErr
  }
}

/** A message part built from the public input shape. */
export function makePart(input: MessageInput): MessagePart {
  return new InputPart(input)
}

export class Executor {
  readonly mapping: string
  readonly exe: MappingExecutor
  readonly #finalWriter: Statement | null
  constructor(mapping: string, exe: MappingExecutor) {
    this.mapping = mapping
    this.exe = exe
    this.#finalWriter = finalRootWriter(exe.statements)
  }

  /**
   * Run the mapping against a value (Bento's Executor.Query): `this` is the value, the result is
   * the new root. Unassigned root returns the input; `root = deleted()` throws.
   */
  query(value: Value): Value {
    const root = { v: NOTHING as Value }
    const ctx: Ctx = {
      value,
      next: undefined,
      named: null,
      lazy: null,
      vars: new Map(),
      maps: this.exe.maps,
      meta: null,
      root,
      batch: { parts: [makePart({ content: '' })] },
      index: 0,
      stack: 0,
    }
    let res: Value
    try {
      res = this.exe.exec(ctx)
    } catch (e) {
      throw new BloblangExecError(toQueryError(e).message)
    }
    if (res === DELETE) throw new BloblangExecError('root was deleted')
    if (res === NOTHING) return value
    return res
  }

  /** Run the mapping like Bento's `mapping` (or `mutation`) processor on one message. */
  apply(msg: MessageInput, opts: ApplyOptions = {}): MessageOutput {
    // The new root is serialised here and never handed out, so its last writer may borrow.
    const { value: res, metadata: outMeta, part } = this.run(msg, opts, this.#finalWriter)
    if (res === DELETE) return { content: new Uint8Array(0), metadata: outMeta, deleted: true }
    let content: Uint8Array
    if (res === NOTHING) content = part.bytes()
    else if (typeof res === 'string') content = stringToBytes(res)
    else if (res instanceof Uint8Array) content = res
    else {
      jsonEncodeState.unsupported = false
      const text = encodeJSON(res, false)
      // Go's encoder fails on NaN/±Inf and the message is left with an empty payload.
      content = jsonEncodeState.unsupported ? new Uint8Array(0) : stringToBytes(text)
    }
    return { content, metadata: outMeta, deleted: false }
  }

  /**
   * Like `apply`, but hands back the raw new root (NOTHING when unassigned, DELETE when deleted)
   * for callers that serialise it their own way, such as the `blobl` command.
   */
  applyRaw(msg: MessageInput, opts: ApplyOptions = {}): { value: Value; metadata: Meta; part: MessagePart } {
    return this.run(msg, opts, null)
  }

  private run(
    msg: MessageInput,
    opts: ApplyOptions,
    borrow: Statement | null,
  ): { value: Value; metadata: Meta; part: MessagePart } {
    const parts = opts.batch ? opts.batch.map(makePart) : [makePart(msg)]
    const index = opts.batch ? (opts.index ?? 0) : 0
    const part = parts[index] as MessagePart
    const batch: Batch = { parts }
    const ontoPart = opts.onto === undefined ? undefined : makePart(opts.onto)
    const outMeta: Meta = new Map((ontoPart ?? part).metadata)
    let parseErr: unknown = null
    let thisValue: Value | undefined
    let loaded = false
    const lazy = (): Value | undefined => {
      if (!loaded) {
        loaded = true
        try {
          thisValue = part.structured()
        } catch (e) {
          parseErr = e
          thisValue = undefined
        }
      }
      return thisValue
    }
    const root = { v: NOTHING as Value }
    if (ontoPart !== undefined) {
      try {
        root.v = ontoPart.structured()
      } catch {
        // an empty or non-JSON payload: root starts unassigned
      }
    } else if (opts.mutation) {
      const v = lazy()
      if (v !== undefined) root.v = v
    }
    const vars = new Map<string, Value>()
    const ctx: Ctx = {
      value: undefined,
      next: undefined,
      named: null,
      lazy,
      vars,
      maps: this.exe.maps,
      meta: outMeta,
      root,
      batch,
      index,
      stack: 0,
    }
    const actx: AssignCtx = { vars, meta: outMeta, value: root, borrow }
    for (const st of this.exe.statements) {
      try {
        st.exec(ctx, actx)
      } catch (e) {
        throw new BloblangExecError(this.describeFailure(statementError(this.exe, st, e), parseErr))
      }
    }
    return { value: root.v, metadata: outMeta, part }
  }

  private describeFailure(err: FailedAssignmentError, parseErr: unknown): string {
    const inner = err.cause
    if (parseErr !== null && inner !== null) {
      // A `this` reference failed because the payload isn't JSON: say why (like Bento).
      let cur: typeof inner | null = inner
      while (cur !== null && cur.constructor.name !== 'NoContextError') cur = cur.cause
      if (cur !== null) {
        const field = (cur as unknown as { fieldName: string }).fieldName
        const why = toQueryError(parseErr).message
        const what = why === 'message is empty' ? why : `parse as json: ${why}`
        const ref = field !== '' ? `this.${field}` : 'this'
        return `failed assignment (line ${err.line}): unable to reference message as structured (with '${ref}'): ${what}`
      }
    }
    return err.message
  }
}

/** Parse a mapping. Throws BloblangParseError (message `line L char C: ...`). */
export function parse(mapping: string, opts: ParseOptions = {}): Executor {
  const env = opts.env ?? globalEnvironment()
  const r = parseMapping({ env, named: [], importDir: opts.importDir ?? '' }, mapping)
  if (!r.ok) throw toParseError(r.err, mapping)
  return new Executor(mapping, r.v)
}

// ---------------------------------------------------------------------------------------------
// Interpolated strings

export interface Interpolation {
  /** True when there are no `${! }` expressions. */
  readonly isStatic: boolean
  /** Render for a message (strings everywhere; bytes on request). */
  render(msg?: MessageInput, opts?: ApplyOptions): string
  renderBytes(msg?: MessageInput, opts?: ApplyOptions): Uint8Array
}

/** Parse a config field with `${! expr }` interpolations. Throws BloblangParseError (`char C: ...`). */
export function parseInterpolation(field: string, opts: ParseOptions = {}): Interpolation {
  const env = opts.env ?? globalEnvironment()
  const r = parseFieldParts({ env, named: [], importDir: opts.importDir ?? '' }, field)
  if (!r.ok) {
    const [line, col] = lineAndCol(field, r.err.pos)
    throw new BloblangParseError(errorAtChar(r.err, field), line, col, errorMessage(r.err, field, true))
  }
  const parts: FieldPart[] = r.v
  const isStatic = parts.every((p) => typeof p === 'string')
  const staticText = isStatic ? (parts as string[]).join('') : ''
  const evalParts = (
    msg: MessageInput | undefined,
    o: ApplyOptions,
    asBytes: boolean,
  ): (string | Uint8Array)[] => {
    const batchParts = o.batch ? o.batch.map(makePart) : [makePart(msg ?? { content: '' })]
    const index = o.batch ? (o.index ?? 0) : 0
    const part = batchParts[index] as MessagePart
    let loaded: { v: Value | undefined } | null = null
    const ctx: Ctx = {
      value: undefined,
      next: undefined,
      named: null,
      lazy: () => {
        if (loaded === null) {
          try {
            loaded = { v: part.structured() }
          } catch {
            loaded = { v: undefined }
          }
        }
        return loaded.v
      },
      vars: null,
      maps: null,
      meta: part.metadata,
      root: null,
      batch: { parts: batchParts },
      index,
      stack: 0,
    }
    return parts.map((p) => {
      if (typeof p === 'string') return p
      let v: Value
      try {
        v = p.exec(ctx)
      } catch (e) {
        throw new BloblangExecError(toQueryError(e).message)
      }
      return asBytes ? toBytesValue(v) : toStringValue(v)
    })
  }
  return {
    isStatic,
    render(msg, o = {}) {
      if (isStatic) return staticText
      return evalParts(msg, o, false)
        .map((x) => (typeof x === 'string' ? x : bytesToString(x)))
        .join('')
    },
    renderBytes(msg, o = {}) {
      if (isStatic) return stringToBytes(staticText)
      const chunks = evalParts(msg, o, true).map((x) => (typeof x === 'string' ? stringToBytes(x) : x))
      const total = chunks.reduce((n, c) => n + c.length, 0)
      const out = new Uint8Array(total)
      let off = 0
      for (const c of chunks) {
        out.set(c, off)
        off += c.length
      }
      return out
    },
  }
}
