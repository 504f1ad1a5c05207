// strftime / strptime with the semantics of itchyny/timefmt-go v0.1.6 (what Bento uses for
// ts_strftime / ts_strptime): flags `-` `_` `0` `^` `#`, widths, `%f` microseconds, `%:z` forms,
// compositions (%c %D %F %T %R %r %v %x %X %+), and its error messages.

import { plainErr } from '../errors.ts'
import { bytesToString, goQuote, type Timestamp } from '../value.ts'
import { fieldsOf, isoWeek, weekdayOfDays, ydayOfDays } from './civil.ts'
import { addDate, dateIn, fixedZone, type Location, localLocation, UTC, utf8Bytes, zoneAbbr } from './core.ts'
import { compileLayout, LONG_DAY, LONG_MONTH, parseLayout } from './layout.ts'

const SHORT_MONTH = LONG_MONTH.map((m) => m.slice(0, 3))
const SHORT_DAY = LONG_DAY.map((d) => d.slice(0, 3))

const COMPOSITIONS: Record<string, string> = {
  c: 'a b e H:M:S Y',
  '+': 'a b e H:M:S Z Y',
  F: 'Y-m-d',
  D: 'm/d/y',
  x: 'm/d/y',
  v: 'e-b-Y',
  T: 'H:M:S',
  X: 'H:M:S',
  r: 'I:M:S p',
  R: 'H:M',
}

function composition(c: string): string | undefined {
  return Object.hasOwn(COMPOSITIONS, c) ? COMPOSITIONS[c] : undefined
}

// Padding bytes as in timefmt-go: the high bit marks an explicit flag.
const NO_PAD = 0x80 // `-`: no padding
const MASK = 0x7f

// ---------------------------------------------------------------------------------------------
// Formatting: the format is compiled into literal text and directives.

/** A directive: the conversion character and its flags. */
interface Directive {
  c: string
  width: number
  padding: number
  upper: boolean
  swap: boolean
  colons: number
}

type Op = string | Directive

export interface CompiledStrftime {
  ops: Op[]
  /** Whether literal text holds UTF-8 bytes beyond ASCII (the output then needs decoding). */
  nonAscii: boolean
}

/** Set when a directive wrote a raw (non-ASCII) byte; see appendIntStr. */
let wroteRawByte = false

/**
 * timefmt-go's appendInt: pad to width (the sign counts as a digit, padding goes first). Its
 * fixed-width fast paths write one byte `num|'0'` for negative values (a garbage byte, which
 * we reproduce so the output matches byte for byte).
 */
function appendIntStr(num: number, width: number, padding: number): string {
  if (num < 0) {
    const code = (Number(BigInt.asUintN(8, BigInt(num))) | 0x30) & 0xff
    if (code > 0x7f) wroteRawByte = true
    const garbage = String.fromCharCode(code)
    if (padding === NO_PAD) return garbage
    const p = String.fromCharCode(padding & MASK)
    if (width === 2) return p + garbage
    if (width === 4) return p + p + p + garbage
  }
  if (width === 2 && num < 100 && padding === 0x30) return num < 10 ? `0${num}` : `${num}`
  const s = `${num}`
  if (padding === NO_PAD || s.length >= width) return s
  const p = String.fromCharCode(padding & MASK)
  if ((width === 2 || width === 4) && num >= 10 ** width) return s
  return p.repeat(width - s.length) + s
}

function appendStringStr(str: string, width: number, padding: number, upper: boolean, swap: boolean): string {
  let out = ''
  if (width > str.length && padding !== NO_PAD) {
    const p = padding < NO_PAD ? ' ' : String.fromCharCode(padding & MASK)
    out = p.repeat(width - str.length)
  }
  if (swap) {
    if ((str.charCodeAt(1) || 0) < 0x61) {
      let s = ''
      for (let i = 0; i < str.length; i++) s += String.fromCharCode(str.charCodeAt(i) | 0x20)
      return out + s
    }
    upper = true
  }
  if (upper) {
    let s = ''
    for (let i = 0; i < str.length; i++) s += String.fromCharCode(str.charCodeAt(i) & 0x5f)
    return out + s
  }
  return out + str
}

/** appendLast: the text from the last '%' of `format` (a byte string) padded to width. */
function appendLast(format: string, width: number, padding: number): string {
  const i = format.lastIndexOf('%')
  if (i < 0) return ''
  return appendStringStr(format.slice(i), width, padding, false, false)
}

/** Compiles a strftime format (the tokenizer; directive values are filled in per timestamp). */
export function compileStrftime(formatStr: string): CompiledStrftime {
  const format = utf8Bytes(formatStr)
  const ops: Op[] = []
  let lit = ''
  const flush = () => {
    if (lit !== '') {
      ops.push(lit)
      lit = ''
    }
  }
  const emit = (d: Directive) => {
    flush()
    ops.push(d)
  }
  let colons = 0
  let pending = ''
  const n = format.length
  outer: for (let i = 0; i < n; i++) {
    let b = format[i] as string
    if (b !== '%') {
      lit += b
      continue
    }
    i++
    if (i === n) {
      lit += '%'
      break
    }
    b = format[i] as string
    let width = 0
    let padding = 0x30 // '0', not explicitly set
    let upper = false
    let swap = false
    for (;;) {
      // label L
      let handled = true
      switch (b) {
        case '-':
          if (pending !== '') {
            lit += '-'
            break
          }
          if (++i === n) {
            lit += appendLast(format, width, padding)
            break outer
          }
          padding = NO_PAD
          b = format[i] as string
          continue
        case '_':
          if (++i === n) {
            lit += appendLast(format, width, padding)
            break outer
          }
          padding = 0x20 | NO_PAD
          b = format[i] as string
          continue
        case '^':
          if (++i === n) {
            lit += appendLast(format, width, padding)
            break outer
          }
          upper = true
          b = format[i] as string
          continue
        case '#':
          if (++i === n) {
            lit += appendLast(format, width, padding)
            break outer
          }
          swap = true
          b = format[i] as string
          continue
        case '0':
          if (++i === n) {
            lit += appendLast(format, width, padding)
            break outer
          }
          padding = 0x30 | NO_PAD
          b = format[i] as string
          continue
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
        case '8':
        case '9': {
          width = b.charCodeAt(0) & 0x0f
          for (i++; i < n; i++) {
            b = format[i] as string
            const c = b.charCodeAt(0)
            if (c >= 0x30 && c <= 0x39) {
              width = width * 10 + (c & 0x0f)
              if (width >= Number.MAX_SAFE_INTEGER / 10) width = 1024
            } else break
          }
          if (width > 1024) width = 1024
          if (padding === NO_PAD) padding = 0x20 | NO_PAD
          if (i === n) {
            lit += appendLast(format, width, padding)
            break outer
          }
          continue
        }
        case 'Y':
        case 'y':
        case 'C':
        case 'g':
        case 'G':
        case 'm':
        case 'B':
        case 'b':
        case 'h':
        case 'A':
        case 'a':
        case 'w':
        case 'u':
        case 'V':
        case 'U':
        case 'W':
        case 'e':
        case 'd':
        case 'j':
        case 'k':
        case 'H':
        case 'l':
        case 'I':
        case 'P':
        case 'p':
        case 'M':
        case 'S':
        case 's':
        case 'f':
        case 'Z':
        case 'z':
          emit({ c: b, width, padding, upper, swap, colons: b === 'z' ? colons : 0 })
          if (b === 'z' || b === 'Z') colons = 0
          break
        case ':':
          if (pending !== '') {
            lit += ':'
          } else {
            colons = 1
            let jumped = false
            for (i++; i < n; i++) {
              const c = format[i]
              if (c === ':') colons++
              else if (c === 'z') {
                if (colons > 3) {
                  i++
                  break
                }
                b = 'z'
                jumped = true
                break
              } else break
            }
            if (jumped) continue
            lit += appendLast(format.slice(0, i), width, padding)
            i--
            colons = 0
          }
          break
        case 't':
          lit += appendStringStr('\t', width, padding, false, false)
          break
        case 'n':
          lit += appendStringStr('\n', width, padding, false, false)
          break
        case '%':
          lit += appendStringStr('%', width, padding, false, false)
          break
        default:
          handled = false
      }
      if (!handled) {
        if (pending === '') {
          const comp = composition(b)
          if (comp !== undefined) {
            pending = comp
            swap = false
          } else {
            lit += appendLast(format.slice(0, i), width - 1, padding)
            lit += b
          }
        } else {
          lit += b
        }
      }
      if (pending !== '') {
        b = pending[0] as string
        pending = pending.slice(1)
        width = 0
        padding = 0x30
        continue
      }
      break
    }
  }
  flush()
  return { ops, nonAscii: hasNonAscii(format) }
}

/** Formats a timestamp with a compiled strftime format. */
export function formatStrftime(t: Timestamp, cf: CompiledStrftime): string {
  let out = ''
  let f: ReturnType<typeof fieldsOf> | null = null
  wroteRawByte = false
  const ops = cf.ops
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op
    if (typeof op === 'string') {
      out += op
      continue
    }
    if (f === null) f = fieldsOf(t.sec + t.offset)
    out += formatDirective(t, f, op)
  }
  return cf.nonAscii || wroteRawByte ? decodeBytes(out) : out
}

function hasNonAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return true
  return false
}

function decodeBytes(b: string): string {
  const u = new Uint8Array(b.length)
  for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i) & 0xff
  return bytesToString(u)
}

function formatDirective(t: Timestamp, f: ReturnType<typeof fieldsOf>, d: Directive): string {
  let { width, padding } = d
  switch (d.c) {
    case 'Y':
      return appendIntStr(f.year, width === 0 ? 4 : width, padding)
    case 'y':
      return appendIntStr(f.year % 100, Math.max(width, 2), padding)
    case 'C':
      return appendIntStr(Math.trunc(f.year / 100), Math.max(width, 2), padding)
    case 'g':
      return appendIntStr(isoWeek(f.days).year % 100, Math.max(width, 2), padding)
    case 'G':
      return appendIntStr(isoWeek(f.days).year, width === 0 ? 4 : width, padding)
    case 'm':
      return appendIntStr(f.month, Math.max(width, 2), padding)
    case 'B':
      return appendStringStr(LONG_MONTH[f.month - 1] as string, width, padding, d.upper, d.swap)
    case 'b':
    case 'h':
      return appendStringStr(SHORT_MONTH[f.month - 1] as string, width, padding, d.upper, d.swap)
    case 'A':
      return appendStringStr(LONG_DAY[weekdayOfDays(f.days)] as string, width, padding, d.upper, d.swap)
    case 'a':
      return appendStringStr(SHORT_DAY[weekdayOfDays(f.days)] as string, width, padding, d.upper, d.swap)
    case 'w':
      return appendIntStr(weekdayOfDays(f.days), width, padding)
    case 'u': {
      const w = weekdayOfDays(f.days)
      return appendIntStr(w === 0 ? 7 : w, width, padding)
    }
    case 'V':
      return appendIntStr(isoWeek(f.days).week, Math.max(width, 2), padding)
    case 'U': {
      const week = Math.trunc((ydayOfDays(f.days, f.year) + 6 - weekdayOfDays(f.days)) / 7)
      return appendIntStr(week, Math.max(width, 2), padding)
    }
    case 'W': {
      let week = ydayOfDays(f.days, f.year)
      const wd = weekdayOfDays(f.days)
      if (wd > 0) week -= wd - 7
      return appendIntStr(Math.trunc(week / 7), Math.max(width, 2), padding)
    }
    case 'e':
      if (padding < NO_PAD) padding = 0x20
      return appendIntStr(f.day, Math.max(width, 2), padding)
    case 'd':
      return appendIntStr(f.day, Math.max(width, 2), padding)
    case 'j':
      return appendIntStr(ydayOfDays(f.days, f.year), Math.max(width, 3), padding)
    case 'k':
      if (padding < NO_PAD) padding = 0x20
      return appendIntStr(f.hour, Math.max(width, 2), padding)
    case 'H':
      return appendIntStr(f.hour, Math.max(width, 2), padding)
    case 'l':
    case 'I': {
      if (d.c === 'l' && padding < NO_PAD) padding = 0x20
      let h = f.hour
      if (h > 12) h -= 12
      else if (h === 0) h = 12
      return appendIntStr(h, Math.max(width, 2), padding)
    }
    case 'P':
    case 'p': {
      const swap = d.c === 'P' ? !(d.upper || d.swap) : d.swap
      return appendStringStr(f.hour < 12 ? 'AM' : 'PM', width, padding, d.upper, swap)
    }
    case 'M':
      return appendIntStr(f.minute, Math.max(width, 2), padding)
    case 'S':
      return appendIntStr(f.second, Math.max(width, 2), padding)
    case 's':
      if (padding < NO_PAD) padding = 0x20
      return appendIntStr(t.sec, width, padding)
    case 'f':
      return appendIntStr(Math.trunc(t.nsec / 1000), width === 0 ? 6 : width, padding)
    case 'Z':
    case 'z':
      return formatZoneDirective(t, d, width, padding)
  }
  return ''
}

function formatZoneDirective(t: Timestamp, d: Directive, widthIn: number, padding: number): string {
  const name = zoneAbbr(t)
  if (d.c === 'Z' && name !== '') return appendStringStr(utf8Bytes(name), widthIn, padding, d.upper, d.swap)
  let width = widthIn
  let offset = t.offset
  if (width <= 1 || padding === NO_PAD) {
    // no padding in front: sign, hours, then minutes/seconds as the colons ask
    let s = offset < 0 ? '-' : '+'
    if (offset < 0) offset = -offset
    const h = appendIntStr(Math.floor(offset / 3600), 2, padding)
    s = h[0] === ' ' ? ` ${s}${h.slice(1)}` : s + h
    offset %= 3600
    const colons = d.colons
    if (colons <= 2 || offset !== 0) {
      if (colons !== 0) s += ':'
      s += appendIntStr(Math.floor(offset / 60), 2, 0x30)
      offset %= 60
      if (colons === 2 || (colons === 3 && offset !== 0)) s += `:${appendIntStr(offset, 2, 0x30)}`
    }
    return s
  }
  const buf: string[] = []
  const i = 0
  if (padding !== NO_PAD) {
    for (; width > 1; width--) buf.push(String.fromCharCode(padding & MASK))
  }
  const j = buf.length
  if (offset < 0) {
    buf.push('-')
    offset = -offset
  } else buf.push('+')
  const k = buf.length
  for (const c of appendIntStr(Math.floor(offset / 3600), 2, padding)) buf.push(c)
  if (buf[k] === ' ') {
    ;[buf[k - 1], buf[k]] = [buf[k] as string, buf[k - 1] as string]
  }
  offset %= 3600
  const colons = d.colons
  if (colons <= 2 || offset !== 0) {
    if (colons !== 0) buf.push(':')
    buf.push(...appendIntStr(Math.floor(offset / 60), 2, 0x30))
    offset %= 60
    if (colons === 2 || (colons === 3 && offset !== 0)) {
      buf.push(':')
      buf.push(...appendIntStr(offset, 2, 0x30))
    }
  }
  if (i !== j) {
    let l = buf.length
    let kk = j + 1 - (l - j)
    if (kk < i) {
      l = j + 1 + i - kk
      kk = i
    } else l = j + 1
    // copy(buf[kk:], buf[j:])
    const tail = buf.slice(j)
    for (let x = 0; x < tail.length && kk + x < buf.length; x++) buf[kk + x] = tail[x] as string
    buf.length = l
    if ((padding & MASK) === 0x30) {
      ;[buf[i], buf[kk]] = [buf[kk] as string, buf[i] as string]
    }
  }
  return buf.join('')
}

// ---------------------------------------------------------------------------------------------
// Parsing (timefmt.Parse)

class ParseFail {
  msg: string
  constructor(msg: string) {
    this.msg = msg
  }
}

/** Go's %q of a byte: a quoted character literal. */
function quoteByte(c: string): string {
  const code = c.charCodeAt(0)
  if (code === 0x27) return "'\\''"
  if (code === 0x5c) return "'\\\\'"
  if (code === 0x07) return "'\\a'"
  if (code === 0x08) return "'\\b'"
  if (code === 0x0c) return "'\\f'"
  if (code === 0x0a) return "'\\n'"
  if (code === 0x0d) return "'\\r'"
  if (code === 0x09) return "'\\t'"
  if (code === 0x0b) return "'\\v'"
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`
  if (code >= 0x80 && code < 0xa0) return `'\\u${code.toString(16).padStart(4, '0')}'`
  if (code === 0xa0) return "'\\u00a0'"
  if (code === 0xad) return "'\\u00ad'"
  return `'${String.fromCharCode(code)}'`
}

const parseFormatError = (c: string) => new ParseFail(`cannot parse "%${c}"`)
const expectedFormatError = (c: string) => new ParseFail(`expected ${quoteByte(c)}`)
const zsuffix = (n: number) => '::z"'.slice(2 - n)
const parseZFormatError = (n: number) => new ParseFail(`cannot parse "%${zsuffix(n)}`)
const expectedColonForZ = (n: number) => new ParseFail(`expected ':' for "%${zsuffix(n)}`)
const expectedZAfterColon = (n: number) => new ParseFail(`expected 'z' after "%${'::"'.slice(2 - n)}`)

function parseNumber(
  source: string,
  index: number,
  size: number,
  min: number,
  max: number,
  format: string,
): [number, number] {
  const l = source.length
  const end = Math.min(index + size, l)
  let value = 0
  let i = index
  for (; i < end; i++) {
    const b = source.charCodeAt(i)
    if (b >= 0x30 && b <= 0x39) value = value * 10 + (b & 0x0f)
    else break
  }
  if (i === index || value < min || max < value) throw parseFormatError(format)
  return [value, i]
}

/** parseNumber without throwing: returns [value, j] where j = 0 on failure (like Go's). */
function tryNumber(source: string, index: number, size: number, min: number, max: number): [number, number] {
  try {
    return parseNumber(source, index, size, min, max, 'z')
  } catch {
    return [0, 0]
  }
}

function parseAny(source: string, index: number, candidates: string[], format: string): [number, number] {
  outer: for (let ci = 0; ci < candidates.length; ci++) {
    const xs = candidates[ci] as string
    let j = index
    for (let k = 0; k < xs.length; k++, j++) {
      if (j >= source.length) continue outer
      const x = xs.charCodeAt(k)
      const y = source.charCodeAt(j)
      if (x !== y && (x | 0x20) !== (y | 0x20)) continue outer
    }
    return [ci + 1, j]
  }
  throw parseFormatError(format)
}

function locationZone(loc: Location): { name: string; offset: number } {
  const t = dateIn(2000, 1, 1, 0, 0, 0, 0, loc)
  return { name: t.abbr, offset: t.offset }
}

const MST = compileLayout('MST')

/** timefmt.Parse(source, format): UTC by default, zone names matched against Local. */
export function parseStrftime(sourceStr: string, formatStr: string): Timestamp {
  const source = utf8Bytes(sourceStr)
  const format = utf8Bytes(formatStr)
  try {
    return parseImpl(source, format)
  } catch (e) {
    if (e instanceof ParseFail) {
      throw plainErr(`failed to parse ${goQuote(sourceStr)} with ${goQuote(formatStr)}: ${e.msg}`)
    }
    throw e
  }
}

function parseImpl(source: string, format: string): Timestamp {
  let loc: Location = UTC
  const base = localLocation()
  let year = 1900
  let month = 1
  let day = 0
  let hour = 0
  let min = 0
  let sec = 0
  let nsec = 0
  let j = 0
  let week = 0
  let weekday = 0
  let yday = 0
  let colons = 0
  let century = -1
  let weekstart = -1
  let pm = false
  let hasISOYear = false
  let hasZoneName = false
  let hasZoneOffset = false
  let pending = ''
  const l = source.length
  for (let i = 0; i < format.length; i++) {
    let b = format[i] as string
    if (b !== '%') {
      if (j >= l || source[j] !== b) throw expectedFormatError(b)
      j++
      continue
    }
    i++
    if (i === format.length) throw new ParseFail('stray "%"')
    b = format[i] as string
    for (;;) {
      // label L
      let jumpL = false
      switch (b) {
        case 'Y':
          ;[year, j] = parseNumber(source, j, 4, 0, 9999, 'Y')
          break
        case 'y':
          ;[year, j] = parseNumber(source, j, 2, 0, 99, 'y')
          year += year < 69 ? 2000 : 1900
          break
        case 'C':
          ;[century, j] = parseNumber(source, j, 2, 0, 99, 'C')
          break
        case 'g':
          ;[year, j] = parseNumber(source, j, 2, 0, 99, b)
          year += 2000
          hasISOYear = true
          break
        case 'G':
          ;[year, j] = parseNumber(source, j, 4, 0, 9999, b)
          hasISOYear = true
          break
        case 'm':
          ;[month, j] = parseNumber(source, j, 2, 1, 12, 'm')
          break
        case 'B':
          ;[month, j] = parseAny(source, j, LONG_MONTH, 'B')
          break
        case 'b':
        case 'h':
          ;[month, j] = parseAny(source, j, SHORT_MONTH, b)
          break
        case 'A':
          ;[weekday, j] = parseAny(source, j, LONG_DAY, 'A')
          break
        case 'a':
          ;[weekday, j] = parseAny(source, j, SHORT_DAY, 'a')
          break
        case 'w':
          ;[weekday, j] = parseNumber(source, j, 1, 0, 6, 'w')
          weekday++
          break
        case 'u':
          ;[weekday, j] = parseNumber(source, j, 1, 1, 7, 'u')
          weekday = (weekday % 7) + 1
          break
        case 'V':
          ;[week, j] = parseNumber(source, j, 2, 1, 53, b)
          weekstart = 4
          if (weekday === 0) weekday = 2
          break
        case 'U':
          ;[week, j] = parseNumber(source, j, 2, 0, 53, b)
          weekstart = 0
          if (weekday === 0) weekday = 1
          break
        case 'W':
          ;[week, j] = parseNumber(source, j, 2, 0, 53, b)
          weekstart = 1
          if (weekday === 0) weekday = 2
          break
        case 'e':
          if (j < l && source[j] === ' ') j++
          ;[day, j] = parseNumber(source, j, 2, 1, 31, b)
          break
        case 'd':
          ;[day, j] = parseNumber(source, j, 2, 1, 31, b)
          break
        case 'j':
          ;[yday, j] = parseNumber(source, j, 3, 1, 366, 'j')
          break
        case 'k':
          if (j < l && source[j] === ' ') j++
          ;[hour, j] = parseNumber(source, j, 2, 0, 23, b)
          break
        case 'H':
          ;[hour, j] = parseNumber(source, j, 2, 0, 23, b)
          break
        case 'l':
        case 'I':
          if (b === 'l' && j < l && source[j] === ' ') j++
          ;[hour, j] = parseNumber(source, j, 2, 1, 12, b)
          if (hour === 12) hour = 0
          break
        case 'P':
        case 'p': {
          let ampm: number
          ;[ampm, j] = parseAny(source, j, ['AM', 'PM'], b)
          pm = ampm === 2
          break
        }
        case 'M':
          ;[min, j] = parseNumber(source, j, 2, 0, 59, 'M')
          break
        case 'S':
          ;[sec, j] = parseNumber(source, j, 2, 0, 60, 'S')
          break
        case 's': {
          let unix: number
          ;[unix, j] = parseNumber(source, j, 10, 0, Number.MAX_SAFE_INTEGER, 's')
          const f = fieldsOf(unix)
          year = f.year
          month = f.month
          day = f.day
          hour = f.hour
          min = f.minute
          sec = f.second
          break
        }
        case 'f': {
          const start = j
          let usec: number
          ;[usec, j] = parseNumber(source, j, 6, 0, 999999, 'f')
          for (let k = j - start; k < 6; k++) usec *= 10
          nsec = usec * 1000
          break
        }
        case 'Z': {
          const start = j
          for (; j < l; j++) {
            const c = source.charCodeAt(j)
            if (c < 0x41 || c > 0x5a) break
          }
          const zs = source.slice(start, j)
          let t: Timestamp
          try {
            t = parseLayout(MST, zs, base, base)
          } catch {
            throw new ParseFail(`cannot parse ${goQuote(zs)} with "%Z"`)
          }
          const tloc = t.loc as Location
          if (hasZoneOffset) {
            loc = fixedZone(t.abbr, locationZone(loc).offset)
          } else loc = tloc
          hasZoneName = true
          break
        }
        case 'z': {
          if (j >= l) throw parseZFormatError(colons)
          let sign = 1
          const c = source[j]
          if (c === '-' || c === '+') {
            if (c === '-') sign = -1
            let zh = 0
            let zm = 0
            let zsec = 0
            let i0 = j
            ;[zh, j] = tryNumber(source, j + 1, 2, 0, 23)
            if (j !== i0 + 3) throw parseZFormatError(colons)
            if (j >= l || source[j] !== ':') {
              if (colons > 0) throw expectedColonForZ(colons)
            } else {
              j++
              if (colons === 0) colons = 4
            }
            i0 = j
            ;[zm, j] = tryNumber(source, j, 2, 0, 59)
            if (j !== i0 + 2) {
              if (colons > 0) throw parseZFormatError(colons & 3)
              j = i0
            } else if (colons > 1) {
              if (j >= l || source[j] !== ':') {
                if (colons === 2) throw expectedColonForZ(colons)
              } else {
                i0 = j
                ;[zsec, j] = tryNumber(source, j + 1, 2, 0, 59)
                if (j !== i0 + 3) {
                  if (colons === 2) throw parseZFormatError(colons)
                  j = i0
                }
              }
            }
            let name = ''
            if (hasZoneName) name = locationZone(loc).name
            loc = fixedZone(name, sign * ((zh * 60 + zm) * 60 + zsec))
            colons = 0
            hasZoneOffset = true
          } else if (c === 'Z') {
            loc = UTC
            colons = 0
            j++
          } else throw parseZFormatError(colons)
          break
        }
        case ':':
          if (pending !== '') {
            if (j >= l || source[j] !== b) throw expectedFormatError(b)
            j++
          } else {
            for (colons = 1; colons <= 2; colons++) {
              if (++i === format.length) break
              b = format[i] as string
              if (b === 'z') {
                jumpL = true
                break
              }
              if (b !== ':' || colons === 2) break
            }
            if (!jumpL) throw expectedZAfterColon(colons)
          }
          break
        case 't':
        case 'n': {
          const start = j
          while (j < l) {
            const c = source[j]
            if (c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r') j++
            else break
          }
          if (start === j) throw new ParseFail(`expected a space for "%${b}"`)
          break
        }
        case '%':
          if (j >= l || source[j] !== b) throw expectedFormatError(b)
          j++
          break
        default:
          if (pending === '') {
            const comp = composition(b)
            if (comp !== undefined) {
              pending = comp
              break
            }
            throw new ParseFail(`unexpected format "%${b}"`)
          }
          if (j >= l || source[j] !== b) throw expectedFormatError(b)
          j++
      }
      if (jumpL) continue
      if (pending !== '') {
        b = pending[0] as string
        pending = pending.slice(1)
        continue
      }
      break
    }
  }
  if (j < source.length) throw new ParseFail(`unparsed string ${goQuote(decodeBytes(source.slice(j)))}`)
  if (pm) hour += 12
  if (century >= 0) year = century * 100 + (year % 100)
  if (day === 0) {
    if (yday > 0) {
      if (hasISOYear) throw new ParseFail('use "%Y" to parse non-ISO year for "%j"')
      return dateIn(year, 1, yday, hour, min, sec, nsec, loc)
    }
    if (weekstart >= 0) {
      if (weekstart === 4) {
        if (!hasISOYear) throw new ParseFail('use "%G" to parse ISO year for "%V"')
      } else if (hasISOYear) throw new ParseFail('use "%Y" to parse non-ISO year for "%U" or "%W"')
      if (weekstart > 0 && weekday === 1) week++
      const t = dateIn(year, 1, -weekstart, hour, min, sec, nsec, loc)
      const wd = weekdayOfDays(Math.floor((t.sec + t.offset) / 86400))
      return addDate(t, 0, 0, week * 7 - wd + weekday - 1)
    }
    day = 1
  }
  return dateIn(year, month, day, hour, min, sec, nsec, loc)
}
