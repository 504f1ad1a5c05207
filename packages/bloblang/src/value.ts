// The Bloblang value model.
//
// Values are plain JS data wherever that is unambiguous, so the common case (small integers,
// strings, plain objects and arrays) costs nothing extra:
//
//   null, boolean, string            as themselves
//   Uint8Array                       bytes
//   number                           an int64 when Number.isInteger(n) (always a safe integer),
//                                    otherwise a float64 (fractional, NaN, ±Inf)
//   Num                              numbers a plain JS number can't describe: int64 beyond 2^53,
//                                    uint64, float64 with an integral value (so `1.0` stays a float
//                                    and `(10/2).string()` behaves like Go), and JSON number text
//                                    that must be re-emitted untouched (Go's json.Number)
//   Value[]                          array
//   VObject                          object (plain JS object; keys read through `getKey`)
//   Timestamp                        Go time.Time
//   DELETE / NOTHING                 the special results of deleted() and nothing()

export type VObject = { [key: string]: Value }
export type Value =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | Num
  | Timestamp
  | Value[]
  | VObject
  | typeof DELETE
  | typeof NOTHING

export const DELETE: unique symbol = Symbol('delete')
export const NOTHING: unique symbol = Symbol('nothing')

export type NumKind = 'int' | 'uint' | 'float' | 'json'

/** A number that a plain JS number can't represent faithfully. */
export class Num {
  readonly kind: NumKind
  /** int/uint: the exact value. */
  readonly big: bigint
  /** float: the value. */
  readonly f: number
  /** json: the original text. */
  readonly text: string
  constructor(kind: NumKind, big: bigint, f: number, text: string) {
    this.kind = kind
    this.big = big
    this.f = f
    this.text = text
  }
}

const MAX_I64 = 0x7fffffffffffffffn
const MIN_I64 = -0x8000000000000000n
const MAX_U64 = 0xffffffffffffffffn
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const TWO63 = 2 ** 63
const TWO64 = 2 ** 64

/** An int64 value from a bigint, wrapping like Go does on overflow. */
export function int64(b: bigint): Value {
  const w = BigInt.asIntN(64, b)
  if (w <= MAX_SAFE && w >= -MAX_SAFE) return Number(w)
  return new Num('int', w, 0, '')
}

export function uint64(b: bigint): Value {
  return new Num('uint', BigInt.asUintN(64, b), 0, '')
}

/** A float64 value: plain when fractional/non-finite, boxed when integral (to stay a float). */
export function float64(f: number): Value {
  if (Number.isInteger(f)) return new Num('float', 0n, f, '')
  return f
}

/**
 * A value of one of Go's sized number types (int8..uint32 from `int32()` etc.): an int Num whose
 * `text` names the type. It behaves as an int64 except where Bento rejects the sized type.
 */
export function sizedInt(b: bigint, goType: string): Num {
  return new Num('int', b, 0, goType)
}

/** A Go float32 (from `float32()`): a float Num whose `text` is 'float32'. */
export function float32(f: number): Num {
  return new Num('float', 0n, Math.fround(f), 'float32')
}

/** The shortest decimal text that reads back as the same float32. */
function shortestFloat32(f: number): number {
  if (!Number.isFinite(f) || f === 0) return f
  for (let p = 1; p < 17; p++) {
    const n = Number(f.toPrecision(p))
    if (Math.fround(n) === f) return n
  }
  return f
}

export function jsonNumber(text: string): Num {
  return new Num('json', 0n, 0, text)
}

/**
 * Go's time.Time: seconds since the epoch, nanoseconds, and the zone used for display. `offset`
 * and `abbr` are the UTC offset and zone abbreviation in effect at this instant; `loc` is the
 * time zone (time/zoneinfo.ts `Location`, Go's *time.Location) when known, otherwise it is
 * resolved from `zone` ('UTC', 'Local', an IANA name, or '' for a fixed offset).
 */
export class Timestamp {
  readonly sec: number
  readonly nsec: number
  /** Offset from UTC in seconds for display. */
  readonly offset: number
  /** Location name: IANA zone name, 'UTC', 'Local' or '' for a fixed offset. */
  readonly zone: string
  /** Zone abbreviation ("CET", "UTC"); '' when unknown or an unnamed fixed offset. */
  readonly abbr: string
  /** The zone (a time/zoneinfo.ts Location) or null. */
  readonly loc: object | null
  constructor(sec: number, nsec: number, offset: number, zone: string, abbr = '', loc: object | null = null) {
    this.sec = sec
    this.nsec = nsec
    this.offset = offset
    this.zone = zone
    this.abbr = abbr
    this.loc = loc
  }
}

// ---------------------------------------------------------------------------------------------
// Types

export type TypeName =
  | 'string'
  | 'bytes'
  | 'number'
  | 'bool'
  | 'timestamp'
  | 'array'
  | 'object'
  | 'null'
  | 'delete'
  | 'nothing'
  | 'query expression'
  | 'unknown'

export function typeOf(v: Value | undefined): TypeName {
  switch (typeof v) {
    case 'string':
      return 'string'
    case 'number':
      return 'number'
    case 'boolean':
      return 'bool'
    case 'symbol':
      return v === DELETE ? 'delete' : 'nothing'
    case 'undefined':
      return 'null'
    case 'object':
      if (v === null) return 'null'
      if (Array.isArray(v)) return 'array'
      if (v instanceof Num) return 'number'
      if (v instanceof Uint8Array) return 'bytes'
      if (v instanceof Timestamp) return 'timestamp'
      return 'object'
  }
  return 'unknown'
}

export function isObject(v: Value | undefined): v is VObject {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Num) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Timestamp)
  )
}

const OBJ_PROTO = Object.prototype

/** Reads an own key of an object value (never something inherited from Object.prototype). */
export function getKey(o: VObject, k: string): Value | undefined {
  const v = o[k]
  if (v === undefined) return undefined
  if (typeof v === 'function' || v === (OBJ_PROTO as unknown)) {
    return Object.hasOwn(o, k) ? v : undefined
  }
  return v
}

export function hasKey(o: VObject, k: string): boolean {
  return Object.hasOwn(o, k)
}

/** Writes a key, including `__proto__`, as an own data property. */
export function setKey(o: VObject, k: string, v: Value): void {
  if (k === '__proto__') {
    Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true })
  } else {
    o[k] = v
  }
}

export function isNullish(v: Value | undefined): boolean {
  return v === null || v === undefined || v === DELETE || v === NOTHING
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** A sanitised number: Go's ISanitize result for numeric values. */
export type SNum = { k: 'i'; n: number; b: bigint | null } | { k: 'u'; b: bigint } | { k: 'f'; n: number }

/** json.Number → int64 when it parses as one, otherwise float64 (Go's ISanitize). */
export function sanitizeJson(text: string): Value {
  if (/^-?\d+$/.test(text)) {
    const b = BigInt(text)
    if (b <= MAX_I64 && b >= MIN_I64) return int64(b)
  }
  const f = goParseFloat(text)
  // Out of float64 range: json.Number.Float64 fails and Go keeps the text as a string.
  if (!Number.isFinite(f)) return text
  return float64(f)
}

/** Resolve json.Number wrappers (Go's ISanitize for the types we carry). */
export function sanitize(v: Value): Value {
  if (v instanceof Num && v.kind === 'json') return sanitizeJson(v.text)
  return v
}

export function isNumber(v: Value | undefined): boolean {
  return typeof v === 'number' || v instanceof Num
}

/** Go's IGetNumber: any number as float64. */
export function getNumber(v: Value | undefined): number {
  if (typeof v === 'number') return v
  if (v instanceof Num) return numToFloat(v)
  throw typeError(v, ['number'])
}

export function numToFloat(v: Num): number {
  switch (v.kind) {
    case 'float':
      return v.f
    case 'json':
      return goParseFloat(v.text)
    default:
      return Number(v.big)
  }
}

/** Go's IGetInt: any number as int64 (floats truncated), as number or bigint. */
export function getInt(v: Value | undefined): number | bigint {
  if (typeof v === 'number') return Number.isInteger(v) ? v : truncToInt(v)
  if (v instanceof Num) {
    switch (v.kind) {
      case 'int':
        return v.big
      case 'uint':
        return normBig(BigInt.asIntN(64, v.big))
      case 'float':
        return truncToInt(v.f)
      case 'json': {
        const s = sanitizeJson(v.text)
        return getInt(s)
      }
    }
  }
  throw typeError(v, ['number'])
}

function normBig(b: bigint): number | bigint {
  return b <= MAX_SAFE && b >= -MAX_SAFE ? Number(b) : b
}

/** Go's int64(float64) conversion (saturating is implementation defined; we clamp). */
function truncToInt(f: number): number | bigint {
  if (Number.isNaN(f)) return MIN_I64
  const t = Math.trunc(f)
  if (Number.isSafeInteger(t)) return t
  if (t >= TWO63 || t < -TWO63) return MIN_I64
  return BigInt(t)
}

/** Go's IGetInt as a safe JS number (for indexes, lengths, counts). */
export function getIntNumber(v: Value | undefined): number {
  const i = getInt(v)
  return typeof i === 'bigint' ? Number(i) : i
}

export function intValue(i: number | bigint): Value {
  return typeof i === 'bigint' ? int64(i) : i
}

/** Go's IGetBool: bools and numbers (non-zero = true). */
export function getBool(v: Value | undefined): boolean {
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  if (v instanceof Num) {
    if (v.kind === 'json') return v.text !== '0'
    if (v.kind === 'float') return v.f !== 0
    return v.big !== 0n
  }
  throw typeError(v, ['bool'])
}

/** Go's IGetString: strings, bytes and timestamps. */
export function getString(v: Value | undefined): string {
  if (typeof v === 'string') return v
  if (v instanceof Uint8Array) return bytesToString(v)
  if (v instanceof Timestamp) return formatRFC3339Nano(v)
  throw typeError(v, ['string'])
}

export function getBytes(v: Value | undefined): Uint8Array {
  if (typeof v === 'string') return stringToBytes(v)
  if (v instanceof Uint8Array) return v
  if (v instanceof Timestamp) return stringToBytes(formatRFC3339Nano(v))
  throw typeError(v, ['bytes'])
}

/** Classify a numeric value for arithmetic (after sanitising), or null when not a number. */
export function numClass(v: Value | undefined): 'i' | 'f' | 'u' | null {
  if (typeof v === 'number') return Number.isInteger(v) ? 'i' : 'f'
  if (v instanceof Num) {
    switch (v.kind) {
      case 'int':
        return 'i'
      case 'uint':
        return 'u'
      case 'float':
        return 'f'
      case 'json':
        return numClass(sanitizeJson(v.text))
    }
  }
  return null
}

/** The exact int64 of a value classified 'i' (or any number through IGetInt). */
export function toBigInt(v: Value): bigint {
  const i = getInt(v)
  return typeof i === 'bigint' ? i : BigInt(i)
}

/** Go's IGetUInt / IToUint for numbers. */
export function getUint(v: Value | undefined): bigint {
  if (typeof v === 'number' || v instanceof Num) return toUint(v)
  throw typeError(v, ['number'])
}

export function toUint(v: Value): bigint {
  const s = sanitize(v)
  if (s instanceof Num && s.kind === 'uint') return s.big
  if (typeof s === 'number' && Number.isInteger(s)) {
    if (s < 0) throw plainErr('signed integer value is negative and cannot be cast as an unsigned integer')
    return BigInt(s)
  }
  if (s instanceof Num && s.kind === 'int') {
    if (s.big < 0n)
      throw plainErr('signed integer value is negative and cannot be cast as an unsigned integer')
    return s.big
  }
  if (typeof s === 'string') return parseGoUint(s)
  if (s instanceof Uint8Array) return parseGoUint(bytesToString(s))
  const f = typeof s === 'number' ? s : s instanceof Num ? s.f : Number.NaN
  if (typeof s !== 'number' && !(s instanceof Num)) throw typeError(v, ['number'])
  if (f < 0) throw plainErr('float value is negative and cannot be cast as an unsigned integer')
  if (!Number.isFinite(f)) {
    if (Number.isNaN(f)) throw plainErr('cannot convert NAN to an unsigned integer')
    throw plainErr('cannot convert +/-INF to an unsigned integer')
  }
  if (f >= TWO64) throw plainErr('float value is too large to be cast as an unsigned integer')
  if (!Number.isInteger(f)) {
    throw plainErr(
      'float value contains decimals and therefore cannot be cast as an unsigned integer, if you intend to round the value then call `.round()` explicitly before this cast',
    )
  }
  return BigInt(f)
}

/** Go's IToInt: numbers plus strings parsed with strconv.ParseInt(s, 0, 64). */
export function toInt(v: Value | undefined): number | bigint {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v
    return floatToIntChecked(v)
  }
  if (v instanceof Num) {
    switch (v.kind) {
      case 'int':
        return v.big
      case 'uint':
        if (v.big > MAX_I64)
          throw plainErr('unsigned integer value is too large to be cast as a signed integer')
        return normBig(v.big)
      case 'float':
        return floatToIntChecked(v.f)
      case 'json':
        return parseGoInt(v.text, 10)
    }
  }
  if (typeof v === 'string') return parseGoInt(v, 0)
  if (v instanceof Uint8Array) return parseGoInt(bytesToString(v), 0)
  throw typeError(v, ['number'])
}

function floatToIntChecked(f: number): number | bigint {
  if (!Number.isFinite(f)) {
    if (Number.isNaN(f)) throw plainErr('cannot convert NAN to an integer')
    throw plainErr('cannot convert +/-INF to an integer')
  }
  if (f > TWO63) throw plainErr('float value is too large to be cast as a signed integer')
  if (f < -TWO63) throw plainErr('float value is too small to be cast as a signed integer')
  if (!Number.isInteger(f)) {
    throw plainErr(
      'float value contains decimals and therefore cannot be cast as a signed integer, if you intend to round the value then call `.round()` explicitly before this cast',
    )
  }
  return Number.isSafeInteger(f) ? f : BigInt(f)
}

/** strconv.ParseInt(s, base, 64) with Go's error messages. */
export function parseGoInt(s: string, base: 0 | 10): number | bigint {
  const fail = (why: string) => plainErr(`strconv.ParseInt: parsing ${goQuote(s)}: ${why}`)
  let body = s
  let neg = false
  if (body.startsWith('-') || body.startsWith('+')) {
    neg = body[0] === '-'
    body = body.slice(1)
  }
  let radix = 10
  if (base === 0 && body.length > 1 && body[0] === '0') {
    const p = body[1]?.toLowerCase()
    if (p === 'x') {
      radix = 16
      body = body.slice(2)
    } else if (p === 'b') {
      radix = 2
      body = body.slice(2)
    } else if (p === 'o') {
      radix = 8
      body = body.slice(2)
    } else {
      radix = 8
      body = body.slice(1)
    }
  }
  if (base === 0) body = body.replace(/_/g, '')
  const digits =
    radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : radix === 2 ? /^[01]+$/ : /^\d+$/
  if (!digits.test(body)) throw fail('invalid syntax')
  let b = 0n
  const R = BigInt(radix)
  for (const ch of body) b = b * R + BigInt(Number.parseInt(ch, radix))
  if (neg) b = -b
  if (b > MAX_I64 || b < MIN_I64) throw fail('value out of range')
  return normBig(b)
}

function parseGoUint(s: string): bigint {
  const fail = (why: string) => plainErr(`strconv.ParseUint: parsing ${goQuote(s)}: ${why}`)
  let body = s.replace(/_/g, '')
  let radix = 10
  if (body.length > 1 && body[0] === '0') {
    const p = body[1]?.toLowerCase()
    if (p === 'x') {
      radix = 16
      body = body.slice(2)
    } else if (p === 'b') {
      radix = 2
      body = body.slice(2)
    } else if (p === 'o') {
      radix = 8
      body = body.slice(2)
    } else {
      radix = 8
      body = body.slice(1)
    }
  }
  const digits =
    radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : radix === 2 ? /^[01]+$/ : /^\d+$/
  if (!digits.test(body)) throw fail('invalid syntax')
  let b = 0n
  const R = BigInt(radix)
  for (const ch of body) b = b * R + BigInt(Number.parseInt(ch, radix))
  if (b > MAX_U64) throw fail('value out of range')
  return b
}

/** strconv.ParseFloat(s, 64) (no error reporting: NaN when invalid). */
export function goParseFloat(s: string): number {
  return Number(s)
}

/** strconv.ParseFloat(s, 64) with Go's error message. */
export function parseGoFloat(s: string): number {
  let t = s
  if (s.includes('_')) {
    if (!underscoresOK(s)) throw floatSyntaxErr(s)
    t = s.replace(/_/g, '')
  }
  let f: number | undefined
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) f = Number(t)
  else {
    // Hex floats need a p exponent (a bare 0x10 is invalid syntax, as in Go).
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(t)
    if (m !== null && (m[2] !== '' || (m[3] ?? '') !== '')) {
      const frac = m[3] ?? ''
      const mant = Number(BigInt(`0x0${m[2]}${frac}`))
      f = mant * 2 ** (Number(m[4]) - 4 * frac.length)
      if (m[1] === '-') f = -f
    }
  }
  if (f !== undefined && !Number.isNaN(f)) {
    if (!Number.isFinite(f)) throw plainErr(`strconv.ParseFloat: parsing ${goQuote(s)}: value out of range`)
    return f
  }
  const low = t.toLowerCase()
  if (/^[+-]?(inf|infinity)$/.test(low)) return low.startsWith('-') ? -Infinity : Infinity
  if (low === 'nan') return Number.NaN
  throw floatSyntaxErr(s)
}

function floatSyntaxErr(s: string) {
  return plainErr(`strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`)
}

/** Go's underscoreOK: each `_` sits between digits (or right after a 0x/0b/0o prefix). */
function underscoresOK(s: string): boolean {
  const hex = /^[+-]?0[xX]/.test(s)
  const digit = hex ? /[0-9a-fA-F]/ : /[0-9]/
  for (let i = s.indexOf('_'); i >= 0; i = s.indexOf('_', i + 1)) {
    const prev = s[i - 1] ?? ''
    const afterPrefix = /^[+-]?0[xXbBoO]$/.test(s.slice(0, i))
    if (!(digit.test(prev) || afterPrefix) || !digit.test(s[i + 1] ?? '')) return false
  }
  return true
}

/** Go's IToNumber: numbers or strings parsed as floats. */
export function toNumber(v: Value | undefined): number {
  if (typeof v === 'number') return v
  if (v instanceof Num) return numToFloat(v)
  if (typeof v === 'string') return parseGoFloat(v)
  if (v instanceof Uint8Array) return parseGoFloat(bytesToString(v))
  throw typeError(v, ['number'])
}

/** Go's IToBool: bools, numbers and strings parsed with strconv.ParseBool. */
export function toBool(v: Value | undefined): boolean {
  if (typeof v === 'boolean' || typeof v === 'number' || v instanceof Num) return getBool(v)
  if (typeof v === 'string' || v instanceof Uint8Array) {
    const s = typeof v === 'string' ? v : bytesToString(v)
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false
  }
  throw typeError(v, ['bool'])
}

// ---------------------------------------------------------------------------------------------
// Strings and bytes

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })

export function stringToBytes(s: string): Uint8Array {
  // Buffer's UTF-8 encoder is several times faster than TextEncoder; a plain Uint8Array view is
  // handed out (small results share Node's buffer pool, so readers must honour byteOffset).
  const b = Buffer.from(s, 'utf8')
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

export function bytesToString(b: Uint8Array): string {
  return decoder.decode(b)
}

/** Byte length of a string's UTF-8 encoding (Go's len(string)). */
export function utf8Length(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2
        i++
        continue
      }
      n += 2
    } else n += 2
  }
  return n
}

export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}

// ---------------------------------------------------------------------------------------------
// Number formatting

/** strconv.FormatFloat(f, 'g', -1, 64): Go's %v for floats (exponent when exp < -4 || exp >= 6). */
export function formatFloatG(f: number): string {
  if (Number.isNaN(f)) return 'NaN'
  if (f === Infinity) return '+Inf'
  if (f === -Infinity) return '-Inf'
  if (f === 0) return Object.is(f, -0) ? '-0' : '0'
  const e = f.toExponential()
  const idx = e.indexOf('e')
  const mant = e.slice(0, idx)
  const exp = Number(e.slice(idx + 1))
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+'
    const ae = Math.abs(exp)
    return `${mant}e${sign}${ae < 10 ? `0${ae}` : ae}`
  }
  return plainDecimal(f)
}

/** Decimal representation without exponent, shortest digits. */
function plainDecimal(f: number): string {
  const s = String(f)
  if (!s.includes('e')) return s
  // JS uses exponent below 1e-6 and from 1e21; expand it.
  const neg = f < 0
  const e = Math.abs(f).toExponential()
  const idx = e.indexOf('e')
  const digits = e.slice(0, idx).replace('.', '')
  const exp = Number(e.slice(idx + 1))
  let out: string
  if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`
  else if (digits.length <= exp + 1) out = digits + '0'.repeat(exp + 1 - digits.length)
  else out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`
  return neg ? `-${out}` : out
}

/** encoding/json float formatting. */
export function formatFloatJSON(f: number): string {
  if (f === 0) return Object.is(f, -0) ? '-0' : '0'
  return String(f)
}

/** Go's IToString for numbers. */
export function numberToString(v: number | Num): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloatG(v)
  switch (v.kind) {
    case 'json':
      return v.text
    case 'float':
      return formatFloatG(v.text === 'float32' ? shortestFloat32(v.f) : v.f)
    default:
      return v.big.toString()
  }
}

// ---------------------------------------------------------------------------------------------
// Conversions to text

/** Go's IToString: strings raw, numbers/bools formatted, everything else as JSON (HTML escaped). */
export function toStringValue(v: Value | undefined): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloatG(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (v === null || v === undefined) return 'null'
  if (v instanceof Num) return numberToString(v)
  if (v instanceof Uint8Array) return bytesToString(v)
  if (v instanceof Timestamp) return formatRFC3339Nano(v)
  return encodeJSON(v, true)
}

/**
 * Bento's message metadata string form (message.metaToString): like IToString, but structured
 * values are JSON without HTML escaping. What outputs, `meta()` and `root_meta()` see.
 */
export function metaToString(v: Value | undefined): string {
  return typeof v === 'string' ? v : isObject(v) || Array.isArray(v) ? encodeJSON(v, false) : toStringValue(v)
}

/** Go's IToBytes. */
export function toBytesValue(v: Value | undefined): Uint8Array {
  if (v instanceof Uint8Array) return v
  return stringToBytes(toStringValue(v))
}

// ---------------------------------------------------------------------------------------------
// JSON encoding (Go encoding/json rules)

const HEX = '0123456789abcdef'

// What encoding/json escapes (control characters, quote, backslash, U+2028/2029, lone
// surrogates, and <>& in HTML mode). The regular expression scans much faster than a JS loop.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const NEEDS_ESCAPE_HTML = /["\\<>&\u0000-\u001f\u2028\u2029\ud800-\udfff]/

function needsEscape(s: string, html: boolean): boolean {
  return (html ? NEEDS_ESCAPE_HTML : NEEDS_ESCAPE).test(s)
}

export function quoteJSONString(s: string, html: boolean): string {
  if (!needsEscape(s, html)) return `"${s}"`
  let out = '"'
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    let rep: string | null = null
    if (c < 0x20) {
      if (c === 0x0a) rep = '\\n'
      else if (c === 0x0d) rep = '\\r'
      else if (c === 0x09) rep = '\\t'
      else if (c === 0x08) rep = '\\b'
      else if (c === 0x0c) rep = '\\f'
      else rep = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`
    } else if (c === 0x22) rep = '\\"'
    else if (c === 0x5c) rep = '\\\\'
    else if (html && (c === 0x3c || c === 0x3e || c === 0x26)) rep = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`
    else if (c === 0x2028) rep = '\\u2028'
    else if (c === 0x2029) rep = '\\u2029'
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++
        continue
      }
      rep = '\ufffd'
    } else if (c >= 0xdc00 && c <= 0xdfff) rep = '\ufffd'
    if (rep !== null) {
      out += s.slice(start, i) + rep
      start = i + 1
    }
  }
  return `${out + s.slice(start)}"`
}

export function compareKeys(a: string, b: string): number {
  // Go sorts map keys by bytes; UTF-16 order only differs for astral vs high-BMP characters.
  return a < b ? -1 : a > b ? 1 : 0
}

export function sortedKeys(o: VObject): string[] {
  const keys = Object.keys(o)
  // The default sort compares UTF-16 code units, the same order as compareKeys.
  if (keys.length > 1) keys.sort()
  return keys
}

/**
 * Set when encodeJSON met NaN or ±Inf (written as null), which Go's encoder refuses: callers
 * that must fail like Go reset it before encoding and check it after.
 */
export const jsonEncodeState = { unsupported: false }

function unsupportedFloat(): string {
  jsonEncodeState.unsupported = true
  return 'null'
}

/** Serialise like Go's encoding/json (sorted keys, no trailing newline). */
export function encodeJSON(v: Value | undefined, html: boolean): string {
  switch (typeof v) {
    case 'string':
      return quoteJSONString(v, html)
    case 'number':
      return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(v) : unsupportedFloat()
    case 'boolean':
      return v ? 'true' : 'false'
    case 'undefined':
    case 'symbol':
      return 'null'
  }
  if (v === null) return 'null'
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]'
    let out = '['
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ','
      out += encodeJSON(v[i], html)
    }
    return `${out}]`
  }
  if (v instanceof Num) {
    if (v.kind === 'json') return v.text
    if (v.kind === 'float') {
      if (!Number.isFinite(v.f)) return unsupportedFloat()
      return formatFloatJSON(v.text === 'float32' ? shortestFloat32(v.f) : v.f)
    }
    return v.big.toString()
  }
  if (v instanceof Uint8Array)
    return `"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}"`
  if (v instanceof Timestamp) return `"${formatRFC3339Nano(v)}"`
  const keys = sortedKeys(v as VObject)
  if (keys.length === 0) return '{}'
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    if (i > 0) out += ','
    out += `${quoteJSONString(k, html)}:${encodeJSON((v as VObject)[k], html)}`
  }
  return `${out}}`
}

/** Indented JSON like json.MarshalIndent(v, "", indent). */
export function encodeJSONIndent(v: Value | undefined, indent: string, html: boolean, prefix = ''): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]'
    const inner = prefix + indent
    const parts = v.map((e) => inner + encodeJSONIndent(e, indent, html, inner))
    return `[\n${parts.join(',\n')}\n${prefix}]`
  }
  if (isObject(v)) {
    const keys = sortedKeys(v)
    if (keys.length === 0) return '{}'
    const inner = prefix + indent
    const parts = keys.map(
      (k) => `${inner}${quoteJSONString(k, html)}: ${encodeJSONIndent(v[k], indent, html, inner)}`,
    )
    return `{\n${parts.join(',\n')}\n${prefix}}`
  }
  return encodeJSON(v, html)
}

// ---------------------------------------------------------------------------------------------
// JSON decoding (lossless numbers, Go error messages)

/**
 * Parse JSON like Go's json.Decoder with UseNumber. Integers that fit a JS number exactly and
 * floats whose text Go would print back identically become plain numbers; anything else keeps
 * its text in a Num so `root = this` re-emits it untouched.
 */
export function parseJSON(text: string): Value {
  if (numbersArePlain(text)) {
    try {
      return JSON.parse(text) as Value
    } catch {
      // fall through for a Go-style error message
    }
  }
  return new JSONParser(text).parseMessage()
}

/**
 * One json.Decoder.Decode (Bento's parse_json): the first value of the text, anything after it
 * ignored; an empty text fails with `EOF`.
 */
export function parseJSONFirst(text: string): Value {
  const p = new JSONParser(text)
  p.ws()
  if (p.i >= text.length) p.fail('EOF')
  return p.value()
}

/**
 * True when every number token of the text is one a JS number reproduces exactly, so JSON.parse
 * can be used: integers of at most 15 digits (not `-0`), and decimals `I.F` without exponent,
 * with at most 15 significant digits, no trailing zero, and a magnitude in [1e-4, 1e6) (where
 * Go's %v prints plain digits). Such a decimal is the shortest text of its float64 (15 digits
 * round-trip), so JS and Go print it back unchanged. String literals are skipped with indexOf,
 * so the scan costs a fraction of the parse; anything unusual takes the exact parser.
 */
function numbersArePlain(text: string): boolean {
  const n = text.length
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      let j = text.indexOf('"', i + 1)
      while (j !== -1 && text.charCodeAt(j - 1) === 0x5c) {
        let bs = 1
        for (let k = j - 2; text.charCodeAt(k) === 0x5c; k--) bs++
        if ((bs & 1) === 0) break
        j = text.indexOf('"', j + 1)
      }
      if (j === -1) return false
      i = j + 1
      continue
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
      let k = i + 1
      while (k < n) {
        const e = text.charCodeAt(k)
        if ((e >= 0x30 && e <= 0x39) || e === 0x2e || e === 0x65 || e === 0x45 || e === 0x2b || e === 0x2d)
          k++
        else break
      }
      if (!plainNumberToken(text, i, k)) return false
      i = k
      continue
    }
    i++
  }
  return true
}

/** The number token text[start, end) in the form numbersArePlain accepts. */
function plainNumberToken(t: string, start: number, end: number): boolean {
  let i = start
  const neg = t.charCodeAt(i) === 0x2d
  if (neg) i++
  const intStart = i
  while (i < end) {
    const d = t.charCodeAt(i)
    if (d < 0x30 || d > 0x39) break
    i++
  }
  const intLen = i - intStart
  if (intLen === 0 || intLen > 15) return false
  const leadZero = t.charCodeAt(intStart) === 0x30
  // `01` is not JSON (the exact parser reports it); `-0` must keep its sign.
  if (leadZero && intLen > 1) return false
  if (i === end) return !(leadZero && neg)
  if (t.charCodeAt(i) !== 0x2e || intLen > 6) return false
  i++
  const fracStart = i
  while (i < end) {
    const d = t.charCodeAt(i)
    if (d < 0x30 || d > 0x39) return false
    i++
  }
  const fracLen = i - fracStart
  if (fracLen === 0 || t.charCodeAt(end - 1) === 0x30) return false
  let sig = fracLen + intLen
  if (leadZero) {
    // 0.000ddd: leading fraction zeros are not significant; below 1e-4 Go uses an exponent.
    let z = 0
    while (t.charCodeAt(fracStart + z) === 0x30) z++
    if (z > 3) return false
    sig = fracLen - z
  }
  return sig <= 15
}

class JSONParser {
  readonly s: string
  i = 0
  constructor(s: string) {
    this.s = s
  }

  fail(msg: string): never {
    throw plainErr(msg)
  }

  unexpected(context: string): never {
    if (this.i >= this.s.length) this.fail('unexpected EOF')
    let ch = this.s[this.i] as string
    // Go's scanner reports a byte: a non-ASCII character shows as its first UTF-8 byte.
    if (ch.charCodeAt(0) >= 0x80) ch = String.fromCharCode(stringToBytes(ch)[0] as number)
    this.fail(`invalid character ${goQuoteChar(ch)} ${context}`)
  }

  ws(): void {
    const s = this.s
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++
      else break
    }
  }

  /**
   * Bento's message decoding: a json.Decoder reads one value; more text is an error (the next
   * value's own error, or `message contains multiple valid documents` when it is valid too).
   */
  parseMessage(): Value {
    this.ws()
    if (this.i >= this.s.length) this.fail('EOF')
    const v = this.value()
    for (let n = 0; n < 2; n++) {
      this.ws()
      if (this.i >= this.s.length) {
        if (n === 0) return v
        break
      }
      this.value()
    }
    this.fail('message contains multiple valid documents')
  }

  value(): Value {
    const s = this.s
    if (this.i >= s.length) this.fail('unexpected EOF')
    const c = s[this.i]
    switch (c) {
      case '{':
        return this.object()
      case '[':
        return this.array()
      case '"':
        return this.string()
      case 't':
        return this.literal('true', true)
      case 'f':
        return this.literal('false', false)
      case 'n':
        return this.literal('null', null)
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number()
        this.unexpected('looking for beginning of value')
    }
  }

  literal<T extends Value>(word: string, v: T): T {
    for (let k = 0; k < word.length; k++) {
      if (this.i >= this.s.length) this.fail('unexpected EOF')
      if (this.s[this.i] !== word[k])
        this.unexpected(`in literal ${word} (expecting ${goQuoteChar(word[k] as string)})`)
      this.i++
    }
    return v
  }

  number(): Value {
    const s = this.s
    const start = this.i
    if (s[this.i] === '-') this.i++
    if (s[this.i] === '0') this.i++
    else if (s[this.i] !== undefined && (s[this.i] as string) >= '1' && (s[this.i] as string) <= '9') {
      while (this.i < s.length && isDigit(s.charCodeAt(this.i))) this.i++
    } else this.unexpected('in numeric literal')
    let isInt = true
    if (s[this.i] === '.') {
      isInt = false
      this.i++
      if (!isDigit(s.charCodeAt(this.i))) this.unexpected('after decimal point in numeric literal')
      while (this.i < s.length && isDigit(s.charCodeAt(this.i))) this.i++
    }
    if (s[this.i] === 'e' || s[this.i] === 'E') {
      isInt = false
      this.i++
      if (s[this.i] === '+' || s[this.i] === '-') this.i++
      if (!isDigit(s.charCodeAt(this.i))) this.unexpected('in exponent of numeric literal')
      while (this.i < s.length && isDigit(s.charCodeAt(this.i))) this.i++
    }
    const tok = s.slice(start, this.i)
    return numberFromJSONText(tok, isInt)
  }

  string(): string {
    const s = this.s
    this.i++
    let out = ''
    let start = this.i
    for (;;) {
      if (this.i >= s.length) this.fail('unexpected EOF')
      const c = s.charCodeAt(this.i)
      if (c === 0x22) {
        out += s.slice(start, this.i)
        this.i++
        return out
      }
      if (c < 0x20) this.unexpected('in string literal')
      if (c === 0x5c) {
        out += s.slice(start, this.i)
        this.i++
        const e = s[this.i]
        switch (e) {
          case '"':
            out += '"'
            break
          case '\\':
            out += '\\'
            break
          case '/':
            out += '/'
            break
          case 'b':
            out += '\b'
            break
          case 'f':
            out += '\f'
            break
          case 'n':
            out += '\n'
            break
          case 'r':
            out += '\r'
            break
          case 't':
            out += '\t'
            break
          case 'u': {
            const hex = s.slice(this.i + 1, this.i + 5)
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              let k = 1
              while (k <= 4 && /[0-9a-fA-F]/.test(s[this.i + k] ?? '')) k++
              this.i += k
              this.unexpected('in \\u hexadecimal character escape')
            }
            out += String.fromCharCode(Number.parseInt(hex, 16))
            this.i += 4
            break
          }
          default:
            this.unexpected('in string escape code')
        }
        this.i++
        start = this.i
        continue
      }
      this.i++
    }
  }

  array(): Value[] {
    this.i++
    const out: Value[] = []
    this.ws()
    if (this.s[this.i] === ']') {
      this.i++
      return out
    }
    for (;;) {
      this.ws()
      out.push(this.value())
      this.ws()
      const c = this.s[this.i]
      if (c === ',') {
        this.i++
        continue
      }
      if (c === ']') {
        this.i++
        return out
      }
      this.unexpected('after array element')
    }
  }

  object(): VObject {
    this.i++
    const out: VObject = {}
    this.ws()
    if (this.s[this.i] === '}') {
      this.i++
      return out
    }
    for (;;) {
      this.ws()
      if (this.s[this.i] !== '"') this.unexpected('looking for beginning of object key string')
      const k = this.string()
      this.ws()
      if (this.s[this.i] !== ':') this.unexpected('after object key')
      this.i++
      this.ws()
      setKey(out, k, this.value())
      this.ws()
      const c = this.s[this.i]
      if (c === ',') {
        this.i++
        continue
      }
      if (c === '}') {
        this.i++
        return out
      }
      this.unexpected('after object key:value pair')
    }
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** The value for a JSON number token (json.Number semantics, plain when lossless). */
export function numberFromJSONText(tok: string, isInt: boolean): Value {
  if (isInt) {
    const digits = tok.length - (tok[0] === '-' ? 1 : 0)
    if (digits <= 15 && tok !== '-0') return Number(tok)
    if (tok === '-0') return jsonNumber(tok)
    const b = BigInt(tok)
    if (b <= MAX_I64 && b >= MIN_I64) return int64(b)
    return jsonNumber(tok)
  }
  const f = Number(tok)
  if (!Number.isInteger(f) && String(f) === tok && formatFloatG(f) === tok) return f
  return jsonNumber(tok)
}

// ---------------------------------------------------------------------------------------------
// Deep operations

export function clone(v: Value): Value {
  if (typeof v !== 'object' || v === null) return v
  if (Array.isArray(v)) {
    const out: Value[] = []
    for (let i = 0; i < v.length; i++) out.push(clone(v[i] as Value))
    return out
  }
  if (v instanceof Num || v instanceof Uint8Array || v instanceof Timestamp) return v
  const out: VObject = {}
  // Values are plain objects without enumerable inherited keys: for-in walks own keys only.
  for (const k in v) {
    const x = clone((v as VObject)[k] as Value)
    if (k === '__proto__') setKey(out, k, x)
    else out[k] = x
  }
  return out
}

/** Go's RestrictForComparison + ICompare: equality used by ==, match, contains, etc. */
export function compareValues(left: Value | undefined, right: Value | undefined): boolean {
  if ((left === null || left === undefined) && (right === null || right === undefined)) return true
  const l = restrict(left)
  if (typeof l === 'string') {
    if (typeof right === 'string') return l === right
    if (right instanceof Uint8Array || right instanceof Timestamp) return l === getString(right)
    return false
  }
  if (typeof l === 'number') {
    if (typeof right === 'number') return l === right
    if (right instanceof Num) return l === numToFloat(right)
    return false
  }
  if (typeof l === 'boolean') {
    try {
      return l === getBool(right)
    } catch {
      return false
    }
  }
  if (Array.isArray(l)) {
    if (!Array.isArray(right) || right.length !== l.length) return false
    for (let i = 0; i < l.length; i++) if (!compareValues(l[i], right[i])) return false
    return true
  }
  if (isObject(l)) {
    if (!isObject(right)) return false
    const lk = Object.keys(l)
    if (lk.length !== Object.keys(right).length) return false
    for (const k of lk) if (!compareValues(l[k], getKey(right, k) ?? null)) return false
    return true
  }
  return false
}

/** Go's RestrictForComparison: numbers as float64, bytes as string. */
export function restrict(v: Value | undefined): Value | undefined {
  if (typeof v === 'number') return v
  if (v instanceof Num) return numToFloat(v)
  if (v instanceof Uint8Array) return bytesToString(v)
  if (v instanceof Timestamp) return formatRFC3339Nano(v)
  return v
}

// ---------------------------------------------------------------------------------------------
// Timestamps (display only; the time methods live in methods/time.ts)

function pad(n: number, w: number): string {
  // Go's appendInt: the sign, then the magnitude zero-padded to the width.
  return n < 0 ? `-${String(-n).padStart(w, '0')}` : String(n).padStart(w, '0')
}

/** Go's numeric zone (±hh:mm or ±hhmm): minutes truncated toward zero, sign of the minutes. */
export function formatOffset(offset: number, colon: boolean): string {
  let zone = Math.trunc(offset / 60)
  let sign = '+'
  if (zone < 0) {
    sign = '-'
    zone = -zone
  }
  return `${sign}${pad(Math.floor(zone / 60), 2)}${colon ? ':' : ''}${pad(zone % 60, 2)}`
}

/** time.RFC3339Nano formatting. */
export function formatRFC3339Nano(t: Timestamp): string {
  const c = fieldsOf(t.sec + t.offset)
  const h = c.hour
  const mi = c.minute
  const se = c.second
  let s = `${pad(c.year, 4)}-${c.month < 10 ? '0' : ''}${c.month}-${c.day < 10 ? '0' : ''}${c.day}T${h < 10 ? '0' : ''}${h}:${mi < 10 ? '0' : ''}${mi}:${se < 10 ? '0' : ''}${se}`
  if (t.nsec !== 0) {
    let n = t.nsec
    let w = 9
    while (n % 10 === 0) {
      n /= 10
      w--
    }
    s += `.${String(n).padStart(w, '0')}`
  }
  s += t.offset === 0 ? 'Z' : formatOffset(t.offset, true)
  return s
}

// ---------------------------------------------------------------------------------------------
// Errors raised by value helpers (shared with the query engine)

import { plainErr, typeError } from './errors.ts'
import { fieldsOf } from './time/civil.ts'

/** Go's %q for a string (strconv.Quote). */
export function goQuote(s: string): string {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0) as number
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (c === 0x07) out += '\\a'
    else if (c === 0x08) out += '\\b'
    else if (c === 0x0c) out += '\\f'
    else if (c === 0x0a) out += '\\n'
    else if (c === 0x0d) out += '\\r'
    else if (c === 0x09) out += '\\t'
    else if (c === 0x0b) out += '\\v'
    else if (c < 0x20 || c === 0x7f) out += `\\x${HEX[c >> 4]}${HEX[c & 0xf]}`
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd'
    else out += ch
  }
  return `${out}"`
}

/** Go's %q for a rune as used by encoding/json errors ('x'). */
function goQuoteChar(ch: string): string {
  if (ch === "'") return "'\\''"
  if (ch === '"') return `'"'`
  const q = goQuote(ch)
  return `'${q.slice(1, -1)}'`
}
