// Errors. Internally queries throw QueryError values (cheap: no stack capture) that mirror the
// wrapping structure of Bento's Go errors, so messages come out with the same shape. The public
// API turns them into BloblangExecError / BloblangParseError (real Error subclasses).

export class QueryError {
  readonly cause: QueryError | null
  constructor(cause: QueryError | null = null) {
    this.cause = cause
  }
  get message(): string {
    return ''
  }
  toString(): string {
    return this.message
  }
}

export class PlainError extends QueryError {
  readonly msg: string
  constructor(msg: string) {
    super()
    this.msg = msg
  }
  override get message(): string {
    return this.msg
  }
}

/** `prefix: cause` (Go's fmt.Errorf("...: %w", err)). */
export class WrappedError extends QueryError {
  readonly prefix: string
  constructor(prefix: string, cause: QueryError) {
    super(cause)
    this.prefix = prefix
  }
  override get message(): string {
    return `${this.prefix}: ${this.cause?.message ?? ''}`
  }
}

/** value.TypeError: `expected <types> value, got <type>[ from <ann>][ (<value>)]`. */
export class TypeError_ extends QueryError {
  from: string
  readonly expected: string[]
  readonly actual: string
  readonly valueStr: string
  constructor(from: string, expected: string[], actual: string, valueStr: string) {
    super()
    this.from = from
    this.expected = expected
    this.actual = actual
    this.valueStr = valueStr
  }
  override get message(): string {
    let s: string
    if (this.expected.length > 0) {
      s = 'expected '
      this.expected.forEach((e, i) => {
        if (i > 0) s += this.expected.length > 2 && i < this.expected.length - 1 ? ', ' : ' or '
        s += e
      })
      s += ' value'
    } else s = 'unexpected value'
    s += `, got ${this.actual}`
    if (this.from !== '') s += ` from ${this.from}`
    if (this.valueStr !== '') s += ` (${this.valueStr})`
    return s
  }
}

/** query.TypeMismatch: `cannot <op> types <l> (from <lann>) and <r> (from <rann>)`. */
export class MismatchError extends QueryError {
  readonly op: string
  readonly left: string
  readonly lann: string
  readonly right: string
  readonly rann: string
  constructor(op: string, left: string, lann: string, right: string, rann: string) {
    super()
    this.op = op
    this.left = left
    this.lann = lann
    this.right = right
    this.rann = rann
  }
  override get message(): string {
    return `cannot ${this.op} types ${this.left} (from ${this.lann}) and ${this.right} (from ${this.rann})`
  }
}

/** query.errFrom: `<annotation>: <err>`. */
export class FromError extends QueryError {
  readonly ann: string
  constructor(ann: string, cause: QueryError) {
    super(cause)
    this.ann = ann
  }
  override get message(): string {
    return `${this.ann}: ${this.cause?.message ?? ''}`
  }
}

/** query.ErrNoContext: a `this` reference where no context exists. */
export class NoContextError extends QueryError {
  readonly fieldName: string
  constructor(fieldName: string) {
    super()
    this.fieldName = fieldName
  }
  override get message(): string {
    return this.fieldName !== ''
      ? `context was undefined, unable to reference \`${this.fieldName}\``
      : 'context was undefined'
  }
}

/** The JS stack ran out (deep recursion that Bento's own limits would have stopped). */
export class StackOverflowError extends PlainError {
  constructor() {
    super('maximum call stack size exceeded, this could be due to unbounded recursion')
  }
}

export function plainErr(msg: string): PlainError {
  return new PlainError(msg)
}

export function wrapErr(prefix: string, err: unknown): WrappedError {
  return new WrappedError(prefix, toQueryError(err))
}

/** Any thrown thing as a QueryError (JS runtime errors keep their message). */
export function toQueryError(e: unknown): QueryError {
  if (e instanceof QueryError) return e
  // No regular expression here: this runs right at the edge of an exhausted stack.
  if (e instanceof RangeError && e.message.includes('call stack')) return new StackOverflowError()
  if (e instanceof Error) return new PlainError(e.message)
  return new PlainError(String(e))
}

/** Find an error of a given class in a wrap chain (Go's errors.As). */
export function findError<T extends QueryError>(
  e: QueryError | null,
  cls: abstract new (...args: never[]) => T,
): T | null {
  for (let cur = e; cur !== null; cur = cur.cause) if (cur instanceof cls) return cur
  return null
}

/** query.ErrFrom: annotate an error with the function that produced the failing value. */
export function errFrom(e: unknown, ann: string): QueryError {
  const err = toQueryError(e)
  if (err instanceof TypeError_) {
    if (err.from === '') err.from = ann
    return err
  }
  if (err instanceof MismatchError) return err
  if (findError(err, FromError) !== null) return err
  return new FromError(ann, err)
}

// ---------------------------------------------------------------------------------------------
// Public errors

/** A mapping failed to parse. `message` is Bento's `line L char C: ...` form. */
export class BloblangParseError extends Error {
  readonly line: number
  readonly column: number
  /** The message without position (Bento's ParseError.Error()). */
  readonly detail: string
  constructor(message: string, line: number, column: number, detail: string) {
    super(message)
    this.name = 'BloblangParseError'
    this.line = line
    this.column = column
    this.detail = detail
  }
}

/** A mapping failed at runtime. `message` is Bento's `failed assignment (line N): ...` form. */
export class BloblangExecError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BloblangExecError'
  }
}

// typeError needs typeOf/valueStr from value.ts; value.ts imports plainErr/typeError from here.
import { formatFloatG, type Num, numberToString, typeOf, type Value } from './value.ts'

/** value.NewTypeError(v, expected...). */
export function typeError(v: Value | undefined, expected: string[], from = ''): TypeError_ {
  const t = typeOf(v)
  let vs = ''
  if (t === 'string') vs = `"${v as string}"`
  else if (t === 'bool') vs = String(v)
  else if (t === 'number') {
    vs =
      typeof v === 'number' ? (Number.isInteger(v) ? String(v) : formatFloatG(v)) : numberToString(v as Num)
  }
  return new TypeError_(from, expected, t, vs)
}
