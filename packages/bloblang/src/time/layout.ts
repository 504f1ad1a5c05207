// Go reference-time layouts ("2006-01-02T15:04:05Z07:00"): a tokenizer (Go's nextStdChunk),
// Time.Format and time.Parse with Go's error messages. Layouts are compiled once.

import { plainErr } from '../errors.ts'
import type { Timestamp } from '../value.ts'
import { daysBefore, daysIn, fieldsOf, isLeap, weekdayOfDays, ydayOfDays } from './civil.ts'
import {
  dateIn,
  fixedZone,
  goTimeQuote,
  type Location,
  localLocation,
  makeTimestamp,
  UTC,
  utf8Bytes,
  zoneAbbr,
} from './core.ts'

export const RFC3339_NANO = '2006-01-02T15:04:05.999999999Z07:00'
export const RFC3339 = '2006-01-02T15:04:05Z07:00'

// std codes (the low bits) and flags, as in Go.
const NEED_DATE = 1 << 8
const NEED_YDAY = 1 << 9
const NEED_CLOCK = 1 << 10

export const STD_LONG_MONTH = 1 + NEED_DATE
export const STD_MONTH = 2 + NEED_DATE
export const STD_NUM_MONTH = 3 + NEED_DATE
export const STD_ZERO_MONTH = 4 + NEED_DATE
export const STD_LONG_WEEKDAY = 5 + NEED_DATE
export const STD_WEEKDAY = 6 + NEED_DATE
export const STD_DAY = 7 + NEED_DATE
export const STD_UNDER_DAY = 8 + NEED_DATE
export const STD_ZERO_DAY = 9 + NEED_DATE
export const STD_UNDER_YEAR_DAY = 10 + NEED_YDAY
export const STD_ZERO_YEAR_DAY = 11 + NEED_YDAY
export const STD_HOUR = 12 + NEED_CLOCK
export const STD_HOUR12 = 13 + NEED_CLOCK
export const STD_ZERO_HOUR12 = 14 + NEED_CLOCK
export const STD_MINUTE = 15 + NEED_CLOCK
export const STD_ZERO_MINUTE = 16 + NEED_CLOCK
export const STD_SECOND = 17 + NEED_CLOCK
export const STD_ZERO_SECOND = 18 + NEED_CLOCK
export const STD_LONG_YEAR = 19 + NEED_DATE
export const STD_YEAR = 20 + NEED_DATE
export const STD_PM = 21 + NEED_CLOCK
export const STD_pm = 22 + NEED_CLOCK
export const STD_TZ = 23
export const STD_ISO8601_TZ = 24
export const STD_ISO8601_SECONDS_TZ = 25
export const STD_ISO8601_SHORT_TZ = 26
export const STD_ISO8601_COLON_TZ = 27
export const STD_ISO8601_COLON_SECONDS_TZ = 28
export const STD_NUM_TZ = 29
export const STD_NUM_SECONDS_TZ = 30
export const STD_NUM_SHORT_TZ = 31
export const STD_NUM_COLON_TZ = 32
export const STD_NUM_COLON_SECONDS_TZ = 33
export const STD_FRAC_SECOND0 = 34
export const STD_FRAC_SECOND9 = 35

const STD0X = [STD_ZERO_MONTH, STD_ZERO_DAY, STD_ZERO_HOUR12, STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR]

/** One element of a layout: literal text before it, then a std element (0 = end). */
export interface Chunk {
  prefix: string
  std: number
  /** The layout text of the std element (for error messages). */
  stdstr: string
  /** Fractional seconds: number of digits and separator. */
  digits: number
  sep: string
}

function isLower(c: string | undefined): boolean {
  return c !== undefined && c >= 'a' && c <= 'z'
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i)
  return c >= 0x30 && c <= 0x39
}

/** Go's nextStdChunk: [prefix, std, stdLength] of the first std element at or after `from`. */
export function nextStdChunk(layout: string, from = 0): { at: number; std: number; len: number } {
  const L = layout.length
  const has = (i: number, s: string) => layout.startsWith(s, i)
  for (let i = from; i < L; i++) {
    const c = layout[i]
    switch (c) {
      case 'J':
        if (has(i, 'Jan')) {
          if (has(i, 'January')) return { at: i, std: STD_LONG_MONTH, len: 7 }
          if (!isLower(layout[i + 3])) return { at: i, std: STD_MONTH, len: 3 }
        }
        break
      case 'M':
        if (i + 3 <= L) {
          if (has(i, 'Mon')) {
            if (has(i, 'Monday')) return { at: i, std: STD_LONG_WEEKDAY, len: 6 }
            if (!isLower(layout[i + 3])) return { at: i, std: STD_WEEKDAY, len: 3 }
          }
          if (has(i, 'MST')) return { at: i, std: STD_TZ, len: 3 }
        }
        break
      case '0': {
        const n = layout.charCodeAt(i + 1)
        if (n >= 0x31 && n <= 0x36) return { at: i, std: STD0X[n - 0x31] as number, len: 2 }
        if (layout[i + 1] === '0' && layout[i + 2] === '2') return { at: i, std: STD_ZERO_YEAR_DAY, len: 3 }
        break
      }
      case '1':
        if (layout[i + 1] === '5') return { at: i, std: STD_HOUR, len: 2 }
        return { at: i, std: STD_NUM_MONTH, len: 1 }
      case '2':
        if (has(i, '2006')) return { at: i, std: STD_LONG_YEAR, len: 4 }
        return { at: i, std: STD_DAY, len: 1 }
      case '_':
        if (layout[i + 1] === '2') {
          // _2006 is really a literal _, followed by stdLongYear
          if (has(i + 1, '2006')) return { at: i + 1, std: STD_LONG_YEAR, len: 4 }
          return { at: i, std: STD_UNDER_DAY, len: 2 }
        }
        if (layout[i + 1] === '_' && layout[i + 2] === '2') return { at: i, std: STD_UNDER_YEAR_DAY, len: 3 }
        break
      case '3':
        return { at: i, std: STD_HOUR12, len: 1 }
      case '4':
        return { at: i, std: STD_MINUTE, len: 1 }
      case '5':
        return { at: i, std: STD_SECOND, len: 1 }
      case 'P':
        if (layout[i + 1] === 'M') return { at: i, std: STD_PM, len: 2 }
        break
      case 'p':
        if (layout[i + 1] === 'm') return { at: i, std: STD_pm, len: 2 }
        break
      case '-':
        if (has(i, '-070000')) return { at: i, std: STD_NUM_SECONDS_TZ, len: 7 }
        if (has(i, '-07:00:00')) return { at: i, std: STD_NUM_COLON_SECONDS_TZ, len: 9 }
        if (has(i, '-0700')) return { at: i, std: STD_NUM_TZ, len: 5 }
        if (has(i, '-07:00')) return { at: i, std: STD_NUM_COLON_TZ, len: 6 }
        if (has(i, '-07')) return { at: i, std: STD_NUM_SHORT_TZ, len: 3 }
        break
      case 'Z':
        if (has(i, 'Z070000')) return { at: i, std: STD_ISO8601_SECONDS_TZ, len: 7 }
        if (has(i, 'Z07:00:00')) return { at: i, std: STD_ISO8601_COLON_SECONDS_TZ, len: 9 }
        if (has(i, 'Z0700')) return { at: i, std: STD_ISO8601_TZ, len: 5 }
        if (has(i, 'Z07:00')) return { at: i, std: STD_ISO8601_COLON_TZ, len: 6 }
        if (has(i, 'Z07')) return { at: i, std: STD_ISO8601_SHORT_TZ, len: 3 }
        break
      case '.':
      case ',': {
        const ch = layout[i + 1]
        if (ch === '0' || ch === '9') {
          let j = i + 1
          while (j < L && layout[j] === ch) j++
          // String of digits must end here - only fractional second is all digits.
          if (!isDigitAt(layout, j)) {
            return { at: i, std: ch === '0' ? STD_FRAC_SECOND0 : STD_FRAC_SECOND9, len: j - i }
          }
        }
        break
      }
    }
  }
  return { at: L, std: 0, len: 0 }
}

/** A compiled layout: its chunks in order, ending with a std = 0 chunk (the trailing text). */
export interface CompiledLayout {
  layout: string
  /** time.RFC3339 or time.RFC3339Nano (Go parses these with a fast path first). */
  rfc3339: boolean
  /** The layout as a byte string (for parsing). */
  bytes: string
  chunks: Chunk[]
  /** Byte-string chunks for parsing. */
  parseChunks: Chunk[]
}

function chunksOf(layout: string): Chunk[] {
  const out: Chunk[] = []
  let pos = 0
  for (;;) {
    const { at, std, len } = nextStdChunk(layout, pos)
    const stdstr = layout.slice(at, at + len)
    const frac = std === STD_FRAC_SECOND0 || std === STD_FRAC_SECOND9
    out.push({
      prefix: layout.slice(pos, at),
      std,
      stdstr,
      digits: frac ? len - 1 : 0,
      sep: frac ? (stdstr[0] as string) : '.',
    })
    if (std === 0) return out
    pos = at + len
  }
}

export function compileLayout(layout: string): CompiledLayout {
  const bytes = utf8Bytes(layout)
  const chunks = chunksOf(layout)
  const rfc3339 = layout === RFC3339 || layout === RFC3339_NANO
  return { layout, rfc3339, bytes, chunks, parseChunks: bytes === layout ? chunks : chunksOf(bytes) }
}

// ---------------------------------------------------------------------------------------------
// Formatting

const LONG_DAY = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const LONG_MONTH = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

const SHORT_DAY = LONG_DAY.map((d) => d.slice(0, 3))
const SHORT_MONTH = LONG_MONTH.map((m) => m.slice(0, 3))

export { LONG_DAY, LONG_MONTH }

/** Go's appendInt: sign, then the magnitude zero-padded to width. */
export function padInt(x: number, width: number): string {
  if (x < 0) return `-${padInt(-x, width)}`
  if (width === 2 && x < 100) return x < 10 ? `0${x}` : `${x}`
  const s = `${x}`
  return s.length >= width ? s : '0'.repeat(width - s.length) + s
}

function appendNano(nsec: number, digits: number, sep: string, trim: boolean): string {
  if (trim && (digits === 0 || nsec === 0)) return ''
  let s = sep + padInt(nsec, 9)
  if (digits < 9) s = s.slice(0, 1 + digits)
  if (trim) {
    let e = s.length
    while (e > 0 && s[e - 1] === '0') e--
    if (e > 0 && s[e - 1] === sep) e--
    s = s.slice(0, e)
  }
  return s
}

function formatZone(std: number, offset: number): string {
  if (
    offset === 0 &&
    (std === STD_ISO8601_TZ ||
      std === STD_ISO8601_COLON_TZ ||
      std === STD_ISO8601_SECONDS_TZ ||
      std === STD_ISO8601_SHORT_TZ ||
      std === STD_ISO8601_COLON_SECONDS_TZ)
  ) {
    return 'Z'
  }
  let zone = Math.trunc(offset / 60)
  let absoffset = offset
  let s: string
  if (zone < 0) {
    s = '-'
    zone = -zone
    absoffset = -absoffset
  } else s = '+'
  s += padInt(Math.floor(zone / 60), 2)
  if (
    std === STD_ISO8601_COLON_TZ ||
    std === STD_NUM_COLON_TZ ||
    std === STD_ISO8601_COLON_SECONDS_TZ ||
    std === STD_NUM_COLON_SECONDS_TZ
  ) {
    s += ':'
  }
  if (std !== STD_NUM_SHORT_TZ && std !== STD_ISO8601_SHORT_TZ) s += padInt(zone % 60, 2)
  if (
    std === STD_ISO8601_SECONDS_TZ ||
    std === STD_NUM_SECONDS_TZ ||
    std === STD_NUM_COLON_SECONDS_TZ ||
    std === STD_ISO8601_COLON_SECONDS_TZ
  ) {
    if (std === STD_NUM_COLON_SECONDS_TZ || std === STD_ISO8601_COLON_SECONDS_TZ) s += ':'
    s += padInt(absoffset % 60, 2)
  }
  return s
}

/** Go's Time.Format with a compiled layout. */
export function formatLayout(t: Timestamp, cl: CompiledLayout): string {
  const f = fieldsOf(t.sec + t.offset)
  let yday = -1
  let out = ''
  for (const ch of cl.chunks) {
    out += ch.prefix
    const std = ch.std
    if (std === 0) break
    if (yday < 0 && (std & NEED_YDAY) !== 0) yday = ydayOfDays(f.days, f.year)
    switch (std) {
      case STD_YEAR:
        out += padInt(Math.abs(f.year) % 100, 2)
        break
      case STD_LONG_YEAR:
        out += padInt(f.year, 4)
        break
      case STD_MONTH:
        out += SHORT_MONTH[f.month - 1]
        break
      case STD_LONG_MONTH:
        out += LONG_MONTH[f.month - 1]
        break
      case STD_NUM_MONTH:
        out += f.month
        break
      case STD_ZERO_MONTH:
        out += padInt(f.month, 2)
        break
      case STD_WEEKDAY:
        out += SHORT_DAY[weekdayOfDays(f.days)]
        break
      case STD_LONG_WEEKDAY:
        out += LONG_DAY[weekdayOfDays(f.days)]
        break
      case STD_DAY:
        out += f.day
        break
      case STD_UNDER_DAY:
        out += f.day < 10 ? ` ${f.day}` : f.day
        break
      case STD_ZERO_DAY:
        out += padInt(f.day, 2)
        break
      case STD_UNDER_YEAR_DAY:
        out += yday < 10 ? `  ${yday}` : yday < 100 ? ` ${yday}` : yday
        break
      case STD_ZERO_YEAR_DAY:
        out += padInt(yday, 3)
        break
      case STD_HOUR:
        out += padInt(f.hour, 2)
        break
      case STD_HOUR12:
        out += f.hour % 12 === 0 ? 12 : f.hour % 12
        break
      case STD_ZERO_HOUR12:
        out += padInt(f.hour % 12 === 0 ? 12 : f.hour % 12, 2)
        break
      case STD_MINUTE:
        out += f.minute
        break
      case STD_ZERO_MINUTE:
        out += padInt(f.minute, 2)
        break
      case STD_SECOND:
        out += f.second
        break
      case STD_ZERO_SECOND:
        out += padInt(f.second, 2)
        break
      case STD_PM:
        out += f.hour >= 12 ? 'PM' : 'AM'
        break
      case STD_pm:
        out += f.hour >= 12 ? 'pm' : 'am'
        break
      case STD_TZ: {
        const abbr = zoneAbbr(t)
        if (abbr !== '') out += abbr
        else {
          let zone = Math.trunc(t.offset / 60)
          if (zone < 0) {
            out += '-'
            zone = -zone
          } else out += '+'
          out += padInt(Math.floor(zone / 60), 2) + padInt(zone % 60, 2)
        }
        break
      }
      case STD_FRAC_SECOND0:
      case STD_FRAC_SECOND9:
        out += appendNano(t.nsec, ch.digits, ch.sep, std === STD_FRAC_SECOND9)
        break
      default:
        out += formatZone(std, t.offset)
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Parsing (Go's time.Parse)

class Bad {}
const BAD = new Bad()

/** Case-insensitive ASCII match (Go's match). */
function matchFold(s1: string, s2: string): boolean {
  for (let i = 0; i < s1.length; i++) {
    let c1 = s1.charCodeAt(i)
    let c2 = s2.charCodeAt(i)
    if (c1 !== c2) {
      c1 |= 0x20
      c2 |= 0x20
      if (c1 !== c2 || c1 < 0x61 || c1 > 0x7a) return false
    }
  }
  return true
}

/** Go's lookup: index of the table entry that prefixes val (ignoring case). */
function lookupTab(tab: string[], val: string): number {
  for (let i = 0; i < tab.length; i++) {
    const v = tab[i] as string
    if (val.length >= v.length && matchFold(val.slice(0, v.length), v)) return i
  }
  return -1
}

const TWO63 = 2 ** 63

/** Go's leadingInt on a byte string: [value, consumed] or null on overflow. */
function leadingInt(s: string, from: number): [number, number] | null {
  let x = 0
  let i = from
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x30 || c > 0x39) break
    if (x > TWO63 / 10) return null
    x = x * 10 + (c - 0x30)
    if (x > TWO63) return null
  }
  return [x, i - from]
}

/** Go's atoi on a byte string (sign allowed); null when invalid. */
function atoi(s: string): number | null {
  let neg = false
  let b = s
  if (b.length > 0 && (b[0] === '-' || b[0] === '+')) {
    neg = b[0] === '-'
    b = b.slice(1)
  }
  const r = leadingInt(b, 0)
  if (r === null || r[1] !== b.length) return null
  return neg ? -r[0] : r[0]
}

function parseTimeZone(value: string): number {
  if (value.length < 3) return 0
  if (value.length >= 4 && (value.startsWith('ChST') || value.startsWith('MeST'))) return 4
  if (value.startsWith('GMT')) return parseGMT(value)
  if (value[0] === '+' || value[0] === '-') return parseSignedOffset(value)
  let nUpper = 0
  for (; nUpper < 6; nUpper++) {
    if (nUpper >= value.length) break
    const c = value.charCodeAt(nUpper)
    if (c < 0x41 || c > 0x5a) break
  }
  switch (nUpper) {
    case 0:
    case 1:
    case 2:
    case 6:
      return 0
    case 5:
      return value[4] === 'T' ? 5 : 0
    case 4:
      return value[3] === 'T' || value.startsWith('WITA') ? 4 : 0
    case 3:
      return 3
  }
  return 0
}

/** Returns the length (ok = length > 0 except GMT which is always ok). */
function parseGMT(value: string): number {
  const v = value.slice(3)
  if (v.length === 0) return 3
  return 3 + parseSignedOffset(v)
}

function parseSignedOffset(value: string): number {
  const sign = value[0]
  if (sign !== '-' && sign !== '+') return 0
  const r = leadingInt(value, 1)
  if (r === null || r[1] === 0) return 0
  if (r[0] > 23) return 0
  return 1 + r[1]
}

/** Returns [nsec, rangeErr] or throws BAD. */
function parseNanoseconds(value: string, nbytes: number): [number, string] {
  const c = value[0]
  if (c !== '.' && c !== ',') throw BAD
  let n = nbytes
  if (n > 10) n = 10
  const ns0 = atoi(value.slice(1, n))
  if (ns0 === null) throw BAD
  if (ns0 < 0) return [0, 'fractional second']
  let ns = ns0
  for (let i = 0; i < 10 - n; i++) ns *= 10
  return [ns, '']
}

/** getnum: one or two digits (fixed forces two). */
function getnum(s: string, fixed: boolean): [number, string] {
  if (!isDigitAt(s, 0)) throw BAD
  if (!isDigitAt(s, 1)) {
    if (fixed) throw BAD
    return [s.charCodeAt(0) - 0x30, s.slice(1)]
  }
  return [(s.charCodeAt(0) - 0x30) * 10 + (s.charCodeAt(1) - 0x30), s.slice(2)]
}

function getnum3(s: string, fixed: boolean): [number, string] {
  let n = 0
  let i = 0
  for (; i < 3 && isDigitAt(s, i); i++) n = n * 10 + (s.charCodeAt(i) - 0x30)
  if (i === 0 || (fixed && i !== 3)) throw BAD
  return [n, s.slice(i)]
}

function cutspace(s: string): string {
  let i = 0
  while (i < s.length && s[i] === ' ') i++
  return s.slice(i)
}

/** skip: removes prefix from value treating runs of spaces as equivalent; null on mismatch. */
function skip(value: string, prefix: string): string | null {
  let v = value
  let p = prefix
  while (p.length > 0) {
    if (p[0] === ' ') {
      if (v.length > 0 && v[0] !== ' ') return null
      p = cutspace(p)
      v = cutspace(v)
      continue
    }
    if (v.length === 0 || v[0] !== p[0]) return null
    p = p.slice(1)
    v = v.slice(1)
  }
  return v
}

function parseError(layout: string, value: string, layoutElem: string, valueElem: string, message: string) {
  if (message === '') {
    return plainErr(
      `parsing time ${goTimeQuote(value)} as ${goTimeQuote(layout)}: cannot parse ${goTimeQuote(valueElem)} as ${goTimeQuote(layoutElem)}`,
    )
  }
  return plainErr(`parsing time ${goTimeQuote(value)}${message}`)
}

function num2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 0x30
  const b = s.charCodeAt(i + 1) - 0x30
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1
  return a * 10 + b
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Go's parseRFC3339 fast path; null when it doesn't apply (the full parser decides). */
function parseRFC3339Fast(s: string, local: Location): Timestamp | null {
  if (s.length < 19) return null
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return null
  const y1 = num2(s, 0)
  const y2 = num2(s, 2)
  const month = num2(s, 5)
  const day = num2(s, 8)
  const hour = num2(s, 11)
  const min = num2(s, 14)
  const sec = num2(s, 17)
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || hour < 0 || hour > 23 || min < 0 || min > 59) return null
  if (sec < 0 || sec > 59) return null
  const year = y1 * 100 + y2
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const dim = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number)
  if (day < 1 || day > dim) return null
  let i = 19
  let nsec = 0
  if (s.length >= 21 && s[19] === '.') {
    const c = s.charCodeAt(20)
    if (c >= 0x30 && c <= 0x39) {
      let n = 20
      while (n < s.length && s.charCodeAt(n) >= 0x30 && s.charCodeAt(n) <= 0x39) n++
      // parseNanoseconds: at most 9 digits count, the rest is truncated
      const digits = s.slice(20, Math.min(n, 29))
      nsec = Number(digits) * 10 ** (9 - digits.length)
      i = n
    }
  }
  // days from civil (inline: March-based)
  const yy = month <= 2 ? year - 1 : year
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const doy = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  const unix = (era * 146097 + doe - 719468) * 86400 + hour * 3600 + min * 60 + sec
  const rest = s.length - i
  if (rest === 1 && s[i] === 'Z') return makeTimestamp(unix, nsec, UTC)
  if (rest !== 6) return null
  const sign = s[i]
  const hr = num2(s, i + 1)
  const mm = num2(s, i + 4)
  if (hr < 0 || hr > 23 || mm < 0 || mm > 59 || s[i + 3] !== ':' || (sign !== '+' && sign !== '-'))
    return null
  let zoneOffset = (hr * 60 + mm) * 60
  if (sign === '-') zoneOffset = -zoneOffset
  const t = unix - zoneOffset
  if (local.lookup(t).offset === zoneOffset) return makeTimestamp(t, nsec, local)
  return makeTimestamp(t, nsec, fixedZone('', zoneOffset))
}

/**
 * Go's time.Parse (defaultLoc = UTC, local = Local) or ParseInLocation. `value` is a JS string
 * (converted to UTF-8 bytes internally, like Go's byte-oriented parser).
 */
export function parseLayout(
  cl: CompiledLayout,
  valueStr: string,
  defaultLoc?: Location,
  local?: Location,
): Timestamp {
  const dloc = defaultLoc ?? UTC
  const lloc = local ?? localLocation()
  if (cl.rfc3339) {
    // Go's fast path for RFC 3339 layouts; the general parser reports the errors.
    const t = parseRFC3339Fast(valueStr, lloc)
    if (t !== null) return t
  }
  const avalue = utf8Bytes(valueStr)
  const alayout = cl.bytes
  let value = avalue
  let rangeErr = ''
  let amSet = false
  let pmSet = false
  let year = 0
  let month = -1
  let day = -1
  let yday = -1
  let hour = 0
  let min = 0
  let sec = 0
  let nsec = 0
  let z: Location | null = null
  let zoneOffset = -1
  let zoneName = ''
  const chunks = cl.parseChunks
  for (let ci = 0; ; ci++) {
    const ch = chunks[ci] as Chunk
    const skipped = skip(value, ch.prefix)
    if (skipped === null) throw parseError(alayout, avalue, ch.prefix, value, '')
    value = skipped
    const std = ch.std
    if (std === 0) {
      if (value.length !== 0) {
        throw parseError(alayout, avalue, '', value, `: extra text: ${goTimeQuote(value)}`)
      }
      break
    }
    const hold = value
    let bad = false
    try {
      switch (std) {
        case STD_YEAR: {
          if (value.length < 2) throw BAD
          const p = value.slice(0, 2)
          value = value.slice(2)
          const y = atoi(p)
          if (y === null) throw BAD
          year = y >= 69 ? y + 1900 : y + 2000
          break
        }
        case STD_LONG_YEAR: {
          if (value.length < 4 || !isDigitAt(value, 0)) throw BAD
          const p = value.slice(0, 4)
          value = value.slice(4)
          const y = atoi(p)
          if (y === null) throw BAD
          year = y
          break
        }
        case STD_MONTH:
        case STD_LONG_MONTH: {
          const tab = std === STD_MONTH ? SHORT_MONTH : LONG_MONTH
          const i = lookupTab(tab, value)
          if (i < 0) throw BAD
          value = value.slice((tab[i] as string).length)
          month = i + 1
          break
        }
        case STD_NUM_MONTH:
        case STD_ZERO_MONTH:
          ;[month, value] = getnum(value, std === STD_ZERO_MONTH)
          if (month <= 0 || month > 12) rangeErr = 'month'
          break
        case STD_WEEKDAY:
        case STD_LONG_WEEKDAY: {
          const tab = std === STD_WEEKDAY ? SHORT_DAY : LONG_DAY
          const i = lookupTab(tab, value)
          if (i < 0) throw BAD
          value = value.slice((tab[i] as string).length)
          break
        }
        case STD_DAY:
        case STD_UNDER_DAY:
        case STD_ZERO_DAY:
          if (std === STD_UNDER_DAY && value.length > 0 && value[0] === ' ') value = value.slice(1)
          ;[day, value] = getnum(value, std === STD_ZERO_DAY)
          break
        case STD_UNDER_YEAR_DAY:
        case STD_ZERO_YEAR_DAY:
          for (let i = 0; i < 2; i++) {
            if (std === STD_UNDER_YEAR_DAY && value.length > 0 && value[0] === ' ') value = value.slice(1)
          }
          ;[yday, value] = getnum3(value, std === STD_ZERO_YEAR_DAY)
          break
        case STD_HOUR:
          ;[hour, value] = getnum(value, false)
          if (hour < 0 || hour >= 24) rangeErr = 'hour'
          break
        case STD_HOUR12:
        case STD_ZERO_HOUR12:
          ;[hour, value] = getnum(value, std === STD_ZERO_HOUR12)
          if (hour < 0 || hour > 12) rangeErr = 'hour'
          break
        case STD_MINUTE:
        case STD_ZERO_MINUTE:
          ;[min, value] = getnum(value, std === STD_ZERO_MINUTE)
          if (min < 0 || min >= 60) rangeErr = 'minute'
          break
        case STD_SECOND:
        case STD_ZERO_SECOND: {
          ;[sec, value] = getnum(value, std === STD_ZERO_SECOND)
          if (sec < 0 || sec >= 60) {
            rangeErr = 'second'
            break
          }
          // A fractional second in the value but not in the layout?
          if (value.length >= 2 && (value[0] === '.' || value[0] === ',') && isDigitAt(value, 1)) {
            // nextStdChunk of the rest of the layout
            const next = (chunks[ci + 1] as Chunk).std
            if (next === STD_FRAC_SECOND0 || next === STD_FRAC_SECOND9) break
            let n = 2
            while (n < value.length && isDigitAt(value, n)) n++
            ;[nsec, rangeErr] = parseNanoseconds(value, n)
            value = value.slice(n)
          }
          break
        }
        case STD_PM:
        case STD_pm: {
          if (value.length < 2) throw BAD
          const p = value.slice(0, 2)
          value = value.slice(2)
          const [pm, am] = std === STD_PM ? ['PM', 'AM'] : ['pm', 'am']
          if (p === pm) pmSet = true
          else if (p === am) amSet = true
          else throw BAD
          break
        }
        case STD_ISO8601_TZ:
        case STD_ISO8601_SHORT_TZ:
        case STD_ISO8601_COLON_TZ:
        case STD_ISO8601_SECONDS_TZ:
        case STD_ISO8601_COLON_SECONDS_TZ:
        case STD_NUM_TZ:
        case STD_NUM_SHORT_TZ:
        case STD_NUM_COLON_TZ:
        case STD_NUM_SECONDS_TZ:
        case STD_NUM_COLON_SECONDS_TZ: {
          if (std <= STD_ISO8601_COLON_SECONDS_TZ && value.length >= 1 && value[0] === 'Z') {
            value = value.slice(1)
            z = UTC
            break
          }
          let sign: string
          let hh: string
          let mm: string
          let ss: string
          if (std === STD_ISO8601_COLON_TZ || std === STD_NUM_COLON_TZ) {
            if (value.length < 6 || value[3] !== ':') throw BAD
            ;[sign, hh, mm, ss] = [value.slice(0, 1), value.slice(1, 3), value.slice(4, 6), '00']
            value = value.slice(6)
          } else if (std === STD_NUM_SHORT_TZ || std === STD_ISO8601_SHORT_TZ) {
            if (value.length < 3) throw BAD
            ;[sign, hh, mm, ss] = [value.slice(0, 1), value.slice(1, 3), '00', '00']
            value = value.slice(3)
          } else if (std === STD_ISO8601_COLON_SECONDS_TZ || std === STD_NUM_COLON_SECONDS_TZ) {
            if (value.length < 9 || value[3] !== ':' || value[6] !== ':') throw BAD
            ;[sign, hh, mm, ss] = [value.slice(0, 1), value.slice(1, 3), value.slice(4, 6), value.slice(7, 9)]
            value = value.slice(9)
          } else if (std === STD_ISO8601_SECONDS_TZ || std === STD_NUM_SECONDS_TZ) {
            if (value.length < 7) throw BAD
            ;[sign, hh, mm, ss] = [value.slice(0, 1), value.slice(1, 3), value.slice(3, 5), value.slice(5, 7)]
            value = value.slice(7)
          } else {
            if (value.length < 5) throw BAD
            ;[sign, hh, mm, ss] = [value.slice(0, 1), value.slice(1, 3), value.slice(3, 5), '00']
            value = value.slice(5)
          }
          let hr = 0
          let mi = 0
          let se = 0
          let err = false
          try {
            hr = getnum(hh, true)[0]
            mi = getnum(mm, true)[0]
            se = getnum(ss, true)[0]
          } catch {
            err = true
          }
          if (hr > 24) rangeErr = 'time zone offset hour'
          if (mi > 60) rangeErr = 'time zone offset minute'
          if (se > 60) rangeErr = 'time zone offset second'
          zoneOffset = (hr * 60 + mi) * 60 + se
          if (sign === '-') zoneOffset = -zoneOffset
          else if (sign !== '+') err = true
          if (err) bad = true
          break
        }
        case STD_TZ: {
          if (value.length >= 3 && value.startsWith('UTC')) {
            z = UTC
            value = value.slice(3)
            break
          }
          const n = parseTimeZone(value)
          if (n === 0 && !value.startsWith('GMT')) throw BAD
          zoneName = value.slice(0, n)
          value = value.slice(n)
          break
        }
        case STD_FRAC_SECOND0: {
          const ndigit = 1 + ch.digits
          if (value.length < ndigit) throw BAD
          ;[nsec, rangeErr] = parseNanoseconds(value, ndigit)
          value = value.slice(ndigit)
          break
        }
        case STD_FRAC_SECOND9: {
          if (
            value.length < 2 ||
            !(value[0] === '.' || value[0] === ',') ||
            value.charCodeAt(1) < 0x30 ||
            value.charCodeAt(1) > 0x39
          ) {
            break
          }
          let i = 0
          while (i + 1 < value.length && isDigitAt(value, i + 1)) i++
          ;[nsec, rangeErr] = parseNanoseconds(value, 1 + i)
          value = value.slice(1 + i)
          break
        }
      }
    } catch (e) {
      if (e !== BAD) throw e
      bad = true
    }
    if (rangeErr !== '') {
      throw parseError(alayout, avalue, ch.stdstr, value, `: ${rangeErr} out of range`)
    }
    if (bad) throw parseError(alayout, avalue, ch.stdstr, hold, '')
  }
  if (pmSet && hour < 12) hour += 12
  else if (amSet && hour === 12) hour = 0

  if (yday >= 0) {
    let d = 0
    let m = 0
    if (isLeap(year)) {
      if (yday === 31 + 29) {
        m = 2
        d = 29
      } else if (yday > 31 + 29) yday--
    }
    if (yday < 1 || yday > 365) throw parseError(alayout, avalue, '', value, ': day-of-year out of range')
    if (m === 0) {
      m = Math.floor((yday - 1) / 31) + 1
      if (daysBefore(m + 1) < yday) m++
      d = yday - daysBefore(m)
    }
    if (month >= 0 && month !== m) {
      throw parseError(alayout, avalue, '', value, ': day-of-year does not match month')
    }
    month = m
    if (day >= 0 && day !== d)
      throw parseError(alayout, avalue, '', value, ': day-of-year does not match day')
    day = d
  } else {
    if (month < 0) month = 1
    if (day < 0) day = 1
  }
  if (day < 1 || day > daysIn(month, year)) throw parseError(alayout, avalue, '', value, ': day out of range')

  if (z !== null) return dateIn(year, month, day, hour, min, sec, nsec, z)

  if (zoneOffset !== -1) {
    const t = dateIn(year, month, day, hour, min, sec, nsec, UTC)
    const unix = t.sec - zoneOffset
    const lz = lloc.lookup(unix)
    if (lz.offset === zoneOffset && (zoneName === '' || lz.name === zoneName)) {
      return makeTimestamp(unix, t.nsec, lloc)
    }
    return makeTimestamp(unix, t.nsec, fixedZone(zoneName, zoneOffset))
  }

  if (zoneName !== '') {
    const t = dateIn(year, month, day, hour, min, sec, nsec, UTC)
    const offset = lloc.lookupName(zoneName, t.sec)
    if (offset !== null) return makeTimestamp(t.sec - offset, t.nsec, lloc)
    let off = 0
    if (zoneName.length > 3 && zoneName.startsWith('GMT')) off = (atoi(zoneName.slice(3)) ?? 0) * 3600
    // Go only attaches the fabricated zone: the instant stays the UTC reading.
    return makeTimestamp(t.sec, t.nsec, fixedZone(zoneName, off))
  }

  return dateIn(year, month, day, hour, min, sec, nsec, dloc)
}
