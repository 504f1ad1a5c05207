// Go time.Time operations on the Timestamp value (seconds, nanoseconds, zone).

import { plainErr } from '../errors.ts'
import { int64, Timestamp, type Value } from '../value.ts'
import { daysFromCivil, fieldsOf, norm, SECONDS_PER_DAY } from './civil.ts'
import { fixedZone, type Location, loadLocation, localLocation, UTC } from './zoneinfo.ts'

export { fixedZone, type Location, loadLocation, localLocation, UTC }

/** A Timestamp at unix (sec, nsec) shown in `loc`. nsec must be within [0, 1e9). */
export function makeTimestamp(sec: number, nsec: number, loc: Location): Timestamp {
  const z = loc.lookup(sec)
  return new Timestamp(sec, nsec, z.offset, loc.fixed ? '' : loc.name, z.name, loc)
}

/** The Location of a Timestamp (resolving legacy values that only carry a zone name). */
export function locOf(t: Timestamp): Location {
  if (t.loc !== null) return t.loc as Location
  switch (t.zone) {
    case 'UTC':
      return UTC
    case 'Local':
      return localLocation()
    case '':
      return fixedZone(t.abbr, t.offset)
    default:
      try {
        return loadLocation(t.zone)
      } catch {
        return fixedZone(t.abbr, t.offset)
      }
  }
}

/** The zone abbreviation in effect (Go's t.Zone() name), also for Timestamps built elsewhere. */
export function zoneAbbr(t: Timestamp): string {
  if (t.abbr !== '' || t.loc !== null || t.zone === '') return t.abbr
  return locOf(t).lookup(t.sec).name
}

/** time.Unix(sec, nsec) in Local, normalising nsec. */
export function timestampFromUnix(sec: number, nsec = 0): Timestamp {
  let s = sec
  let n = nsec
  if (n < 0 || n >= 1e9) {
    s += Math.floor(n / 1e9)
    n = ((n % 1e9) + 1e9) % 1e9
  }
  return makeTimestamp(s, n, localLocation())
}

/** t.In(loc). */
export function inLocation(t: Timestamp, loc: Location): Timestamp {
  if (t.loc === loc) return t
  return makeTimestamp(t.sec, t.nsec, loc)
}

/** Go's time.Date: civil fields (normalised) in a location. */
export function dateIn(
  year: number,
  month: number,
  day: number,
  hour: number,
  min: number,
  sec: number,
  nsec: number,
  loc: Location,
): Timestamp {
  let m = month - 1
  if (m < 0 || m >= 12) [year, m] = norm(year, m, 12)
  if (nsec < 0 || nsec >= 1e9) [sec, nsec] = norm(sec, nsec, 1e9)
  if (sec < 0 || sec >= 60) [min, sec] = norm(min, sec, 60)
  if (min < 0 || min >= 60) [hour, min] = norm(hour, min, 60)
  if (hour < 0 || hour >= 24) [day, hour] = norm(day, hour, 24)
  let unix = daysFromCivil(year, m + 1, day) * SECONDS_PER_DAY + hour * 3600 + min * 60 + sec
  let offset = loc.lookup(unix).offset
  if (offset !== 0) {
    const utc = unix - offset
    if (utc < loc.start || utc >= loc.end) offset = loc.lookup(utc).offset
    unix -= offset
  }
  return makeTimestamp(unix, nsec, loc)
}

/** Local calendar fields of a Timestamp. */
export function fieldsOfTimestamp(t: Timestamp): ReturnType<typeof fieldsOf> {
  return fieldsOf(t.sec + t.offset)
}

/** t.AddDate(years, months, days). */
export function addDate(t: Timestamp, years: number, months: number, days: number): Timestamp {
  const f = fieldsOfTimestamp(t)
  return dateIn(f.year + years, f.month + months, f.day + days, f.hour, f.minute, f.second, t.nsec, locOf(t))
}

const NS = 1_000_000_000n
const MAX_DURATION = 0x7fffffffffffffffn
const MIN_DURATION = -0x8000000000000000n

/** t.Add(d) for a Duration in nanoseconds (int64). */
export function addDuration(t: Timestamp, dIn: bigint | number): Timestamp {
  let d = dIn
  if (typeof d === 'bigint' && d <= 9_000_000_000_000_000n && d >= -9_000_000_000_000_000n) d = Number(d)
  if (d === 0) return t
  if (typeof d === 'number' && Number.isSafeInteger(d) && Math.abs(d) < 9e15) {
    const dsec = Math.trunc(d / 1e9)
    let nsec = t.nsec + (d - dsec * 1e9)
    let sec = t.sec + dsec
    if (nsec >= 1e9) {
      sec++
      nsec -= 1e9
    } else if (nsec < 0) {
      sec--
      nsec += 1e9
    }
    return makeTimestamp(sec, nsec, locOf(t))
  }
  const bd = BigInt.asIntN(64, BigInt(d))
  let dsec = bd / NS
  let nsec = t.nsec + Number(bd % NS)
  if (nsec >= 1e9) {
    dsec++
    nsec -= 1e9
  } else if (nsec < 0) {
    dsec--
    nsec += 1e9
  }
  return makeTimestamp(t.sec + Number(dsec), nsec, locOf(t))
}

/** t.Sub(u) as an int64 Duration (saturating like Go). */
export function subTimestamps(t: Timestamp, u: Timestamp): Value {
  const dsec = t.sec - u.sec
  const dns = t.nsec - u.nsec
  if (Math.abs(dsec) < 9_000_000) return dsec * 1e9 + dns
  const d = BigInt(dsec) * NS + BigInt(dns)
  if (d > MAX_DURATION) return int64(MAX_DURATION)
  if (d < MIN_DURATION) return int64(MIN_DURATION)
  return int64(d)
}

/** Seconds from the Go zero time (Jan 1, year 1 UTC) to the unix epoch. */
const UNIX_TO_INTERNAL = 62135596800

/** t.Round(d) for a Duration in nanoseconds. */
export function roundTimestamp(t: Timestamp, d: bigint | number): Timestamp {
  const dn = Number(d)
  if (dn <= 0) return t
  let r: number | bigint
  if (typeof d === 'number' || Number.isSafeInteger(dn)) {
    if (dn < 1e9 && 1e9 % (dn + dn) === 0) {
      // 2d divides one second
      r = t.nsec % dn
    } else if (dn % 1e9 === 0 && dn < 9e15) {
      // a multiple of one second (remainder stays below 2^53)
      const d1 = dn / 1e9
      const s = t.sec + UNIX_TO_INTERNAL
      r = (((s % d1) + d1) % d1) * 1e9 + t.nsec
    } else r = remainderBig(t, BigInt(d))
  } else r = remainderBig(t, d as bigint)
  if (typeof r === 'number') {
    // lessThanHalf: uint64(r)+uint64(r) < uint64(d)
    if (r + r < dn) return addDuration(t, -r)
    return addDuration(t, dn - r)
  }
  const dd = BigInt(d)
  if (r + r < dd) return addDuration(t, -r)
  return addDuration(t, dd - r)
}

/** The remainder of t (since the zero time) divided by d, as Go's div computes it. */
function remainderBig(t: Timestamp, dd: bigint): bigint {
  const total = (BigInt(t.sec) + BigInt(UNIX_TO_INTERNAL)) * NS + BigInt(t.nsec)
  return ((total % dd) + dd) % dd
}

/** Unix seconds / milli / micro / nano as int64 values (wrapping like Go). */
export function unixSeconds(t: Timestamp): Value {
  return Number.isSafeInteger(t.sec) ? t.sec : int64(BigInt(t.sec))
}

export function unixMilli(t: Timestamp): Value {
  const v = t.sec * 1000 + Math.floor(t.nsec / 1e6)
  if (Number.isSafeInteger(v)) return v
  return int64(BigInt(t.sec) * 1000n + BigInt(Math.floor(t.nsec / 1e6)))
}

export function unixMicro(t: Timestamp): Value {
  const v = t.sec * 1e6 + Math.floor(t.nsec / 1e3)
  if (Number.isSafeInteger(v) && Math.abs(v) < 9e15) return v
  return int64(BigInt(t.sec) * 1000000n + BigInt(Math.floor(t.nsec / 1e3)))
}

export function unixNano(t: Timestamp): Value {
  if (Math.abs(t.sec) < 9_000_000) return t.sec * 1e9 + t.nsec
  return int64(BigInt(t.sec) * NS + BigInt(t.nsec))
}

// ---------------------------------------------------------------------------------------------
// Durations (Go's time.ParseDuration)

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n, // U+00B5
  μs: 1000n, // U+03BC
  ms: 1000000n,
  s: NS,
  m: 60n * NS,
  h: 3600n * NS,
}

const TWO63 = 1n << 63n

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
}

/**
 * ParseDuration for the common case where everything stays exact in a JS number (integers below
 * 2^53): returns null to defer to the exact implementation otherwise (and for all errors).
 */
function parseDurationFast(orig: string): number | null {
  let i = 0
  const n = orig.length
  let neg = false
  const c0 = orig.charCodeAt(0)
  if (c0 === 0x2d || c0 === 0x2b) {
    neg = c0 === 0x2d
    i = 1
  }
  if (i >= n) return null
  let d = 0
  while (i < n) {
    let v = 0
    let pre = false
    let c = orig.charCodeAt(i)
    while (c >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30)
      pre = true
      c = orig.charCodeAt(++i)
    }
    let f = 0
    let scale = 1
    let post = false
    if (c === 0x2e) {
      c = orig.charCodeAt(++i)
      while (c >= 0x30 && c <= 0x39) {
        f = f * 10 + (c - 0x30)
        scale *= 10
        post = true
        c = orig.charCodeAt(++i)
      }
    }
    if ((!pre && !post) || v > 1e15 || scale > 1e15) return null
    const us = i
    while (i < n) {
      c = orig.charCodeAt(i)
      if (c === 0x2e || (c >= 0x30 && c <= 0x39)) break
      i++
    }
    const u = orig.slice(us, i)
    const unit = Object.hasOwn(UNIT_NS, u) ? (UNIT_NS[u] as number) : 0
    if (unit === 0) return null
    let x = v * unit
    if (f > 0) x += Math.trunc(f * (unit / scale))
    d += x
    if (d > 9e15) return null
  }
  if (orig === '0' || orig === '-0' || orig === '+0') return 0
  return neg ? -d : d
}

/** Go's time.ParseDuration, nanoseconds as an int64 Value. Errors carry Go's text. */
export function parseDuration(orig: string): Value {
  const fast = parseDurationFast(orig)
  if (fast !== null) return fast === 0 ? 0 : fast
  const bad = (msg: string) => plainErr(`time: ${msg} ${goTimeQuote(utf8Bytes(orig))}`)
  let s = orig
  let neg = false
  if (s !== '') {
    const c = s[0]
    if (c === '-' || c === '+') {
      neg = c === '-'
      s = s.slice(1)
    }
  }
  if (s === '0') return 0
  if (s === '') throw bad('invalid duration')
  let d = 0n
  let i = 0
  const n = s.length
  const isDigit = (k: number) => k < n && s.charCodeAt(k) >= 0x30 && s.charCodeAt(k) <= 0x39
  while (i < n) {
    const c = s.charCodeAt(i)
    if (!(c === 0x2e || (c >= 0x30 && c <= 0x39))) throw bad('invalid duration')
    // leadingInt
    const pl = i
    let v = 0n
    while (isDigit(i)) {
      if (v > TWO63 / 10n) throw bad('invalid duration')
      v = v * 10n + BigInt(s.charCodeAt(i) - 0x30)
      if (v > TWO63) throw bad('invalid duration')
      i++
    }
    const pre = i !== pl
    let post = false
    let f = 0n
    let scale = 1
    if (i < n && s[i] === '.') {
      i++
      const fl = i
      let overflow = false
      while (isDigit(i)) {
        if (!overflow) {
          if (f > (TWO63 - 1n) / 10n) overflow = true
          else {
            const y = f * 10n + BigInt(s.charCodeAt(i) - 0x30)
            if (y > TWO63) overflow = true
            else {
              f = y
              scale *= 10
            }
          }
        }
        i++
      }
      post = i !== fl
    }
    if (!pre && !post) throw bad('invalid duration')
    const us = i
    while (i < n) {
      const ch = s.charCodeAt(i)
      if (ch === 0x2e || (ch >= 0x30 && ch <= 0x39)) break
      i++
    }
    if (i === us) throw bad('missing unit in duration')
    const u = s.slice(us, i)
    const unit = UNITS[u]
    if (unit === undefined || !Object.hasOwn(UNITS, u)) {
      throw bad(`unknown unit ${goTimeQuote(utf8Bytes(u))} in duration`)
    }
    if (v > TWO63 / unit) throw bad('invalid duration')
    v *= unit
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)))
      if (v > TWO63) throw bad('invalid duration')
    }
    d += v
    if (d > TWO63) throw bad('invalid duration')
  }
  if (neg) return int64(-d)
  if (d > TWO63 - 1n) throw bad('invalid duration')
  return int64(d)
}

// ---------------------------------------------------------------------------------------------
// Byte strings: Go's time package works on bytes; we parse UTF-8 as latin1 "byte strings".

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}

export function utf8Bytes(s: string): string {
  if (isAscii(s)) return s
  const b = new TextEncoder().encode(s)
  let out = ''
  for (const c of b) out += String.fromCharCode(c)
  return out
}

const HEX = '0123456789abcdef'

/** The time package's quote() on a byte string: non-ASCII and control bytes as \xNN. */
export function goTimeQuote(b: string): string {
  let out = '"'
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i)
    if (c >= 0x80 || c < 0x20) out += `\\x${HEX[c >> 4]}${HEX[c & 15]}`
    else {
      if (c === 0x22 || c === 0x5c) out += '\\'
      out += b[i]
    }
  }
  return `${out}"`
}
