// ISO 8601 periods ("P3Y6M4DT12H30M5S") with the semantics of rickb777/period v1.0.7 (what
// Bento uses for parse_duration_iso8601 / ts_add_iso8601 / ts_sub_iso8601): decimal fields with
// at most 19 significant digits (govalues/decimal), sign normalisation, approximate durations
// (365.2425-day years) and calendar arithmetic via AddDate for whole calendar fields.

import { bytesToString, type Timestamp } from '../value.ts'
import { addDate, addDuration } from './core.ts'

/** A decimal: sign, coefficient (< 10^19) and scale (digits after the point, <= 19). */
interface Dec {
  neg: boolean
  coef: bigint
  scale: number
}

const ZERO: Dec = { neg: false, coef: 0n, scale: 0 }
const MAX_COEF = 10n ** 19n - 1n

function decSign(d: Dec): number {
  if (d.coef === 0n) return 0
  return d.neg ? -1 : 1
}

function decNeg(d: Dec): Dec {
  if (d.coef === 0n) return d
  return { neg: !d.neg, coef: d.coef, scale: d.scale }
}

function isZeroStruct(d: Dec): boolean {
  return d.coef === 0n && d.scale === 0 && !d.neg
}

/** Half-to-even division of a non-negative bigint by 10^n. */
function rshHalfEven(x: bigint, n: number): bigint {
  if (n <= 0) return x
  const p = 10n ** BigInt(n)
  const q = x / p
  const r = x % p
  const half = p / 2n
  if (r > half || (r === half && q % 2n === 1n)) return q + 1n
  return q
}

/** govalues/decimal Parse for the subset period produces ([-]digits[.digits]); null if invalid. */
function parseDecimal(s: string): Dec | null {
  if (s.length > 330) return null
  let pos = 0
  let neg = false
  if (s[pos] === '-') {
    neg = true
    pos++
  } else if (s[pos] === '+') pos++
  let digits = ''
  let scale = 0
  let hasCoef = false
  while (pos < s.length && (s[pos] as string) >= '0' && (s[pos] as string) <= '9') {
    digits += s[pos]
    pos++
    hasCoef = true
  }
  if (s[pos] === '.') {
    pos++
    while (pos < s.length && (s[pos] as string) >= '0' && (s[pos] as string) <= '9') {
      digits += s[pos]
      pos++
      scale++
      hasCoef = true
    }
  }
  if (pos !== s.length || !hasCoef) return null
  let coef = BigInt(digits)
  // Fast path (fits 19 digits): scale above 19 rounds half-even to 19.
  if (coef <= MAX_COEF) {
    if (scale > 19) {
      coef = rshHalfEven(coef, scale - 19)
      scale = 19
    }
    return { neg: neg && coef !== 0n, coef, scale }
  }
  // Big path: at most 19 digits of precision.
  let prec = coef === 0n ? 0 : coef.toString().length
  if (prec - scale > 19) return null
  if (scale >= prec && scale > 19) {
    coef = rshHalfEven(coef, scale - 19)
    scale = 19
  } else if (prec > scale && prec > 19) {
    coef = rshHalfEven(coef, prec - 19)
    scale = 19 - prec + scale
  }
  if (coef > MAX_COEF) {
    prec = coef.toString().length
    coef = rshHalfEven(coef, prec - 19)
    scale = 19 - prec + scale
  }
  return { neg: neg && coef !== 0n, coef, scale }
}

export interface Period {
  years: Dec
  months: Dec
  weeks: Dec
  days: Dec
  hours: Dec
  minutes: Dec
  seconds: Dec
  neg: boolean
}

function zeroPeriod(): Period {
  return {
    years: ZERO,
    months: ZERO,
    weeks: ZERO,
    days: ZERO,
    hours: ZERO,
    minutes: ZERO,
    seconds: ZERO,
    neg: false,
  }
}

const FIELDS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const

function flipSign(p: Period): Period {
  const q = { ...p, neg: !p.neg }
  for (const f of FIELDS) q[f] = decNeg(p[f])
  return q
}

function normaliseSign(p: Period): Period {
  for (const f of FIELDS) {
    const s = decSign(p[f])
    if (s > 0) return p
    if (s < 0) return flipSign(p)
  }
  return zeroPeriod()
}

export class PeriodError extends Error {}

/** period.Parse with its error messages. */
export function parsePeriod(isoPeriod: string): Period {
  if (isoPeriod === '') throw new PeriodError('cannot parse a blank string as a period')
  const p = zeroPeriod()
  let remaining = isoPeriod
  if (remaining[0] === '-') {
    p.neg = true
    remaining = remaining.slice(1)
  } else if (remaining[0] === '+') remaining = remaining.slice(1)
  switch (remaining) {
    case 'P0Y':
    case 'P0M':
    case 'P0W':
    case 'P0D':
    case 'PT0H':
    case 'PT0M':
    case 'PT0S':
      return zeroPeriod()
    case '':
      throw new PeriodError('cannot parse a blank string as a period')
  }
  if (remaining[0] !== 'P') throw new PeriodError(`${isoPeriod}: expected 'P' period mark at the start`)
  remaining = remaining.slice(1)

  // 0 = unready, 1 = armed, 2 = set
  const state: Record<string, number> = { Y: 1, M: 1, W: 1, D: 1, H: 0, m: 0, S: 0 }
  let haveFraction = false
  let previous = ''
  let nComponents = 0
  let isHMS = false
  while (remaining.length > 0) {
    if (remaining[0] === 'T') {
      if (isHMS) throw new PeriodError(`${isoPeriod}: 'T' designator cannot occur more than once`)
      isHMS = true
      state.Y = 0
      state.M = 0
      state.W = 0
      state.D = 0
      state.H = 1
      state.m = 1
      state.S = 1
      remaining = remaining.slice(1)
      continue
    }
    // scanDigits (rune-wise)
    const runes = Array.from(remaining)
    let number = ''
    let idx = -2 // stringIsAllNumeric
    for (let i = 0; i < runes.length; i++) {
      const c = runes[i] as string
      if (i === 0 && c === '-') number += c
      else if (c === '.' || c === ',') number += '.'
      else if (c >= '0' && c <= '9') number += c
      else if (number.length > 0) {
        idx = i
        break
      } else {
        idx = -1
        break
      }
    }
    if (idx === -1)
      throw new PeriodError(`${isoPeriod}: expected a number but found '${firstByteChar(remaining)}'`)
    if (idx === -2) throw new PeriodError(`${isoPeriod}: missing designator at the end`)
    const dec = parseDecimal(number)
    if (dec === null) throw new PeriodError(`${isoPeriod}: number invalid or out of range`)
    // str[i] indexes bytes in Go with a rune index: replicate on the UTF-8 bytes.
    const bytes = new TextEncoder().encode(remaining)
    const desByte = bytes[idx] as number
    const des = String.fromCharCode(desByte)
    let key: string
    switch (des) {
      case 'S':
      case 'H':
      case 'D':
      case 'W':
      case 'Y':
        key = des
        break
      case 'M':
        key = isHMS ? 'm' : 'M'
        break
      default:
        throw new PeriodError(
          `${isoPeriod}: expected a designator Y, M, W, D, H, or S not '${goByteChar(desByte)}'`,
        )
    }
    // Go slices str[i+1:] by bytes.
    remaining = bytesToString(bytes.subarray(idx + 1))
    if (haveFraction && dec.coef !== 0n) {
      throw new PeriodError(`${isoPeriod}: '${previous}' & '${des}' only the last field can have a fraction`)
    }
    const st = state[key] as number
    if (st === 0) throw new PeriodError(`${isoPeriod}: '${des}' designator cannot occur here`)
    if (st === 2) throw new PeriodError(`${isoPeriod}: '${des}' designator cannot occur more than once`)
    state[key] = 2
    switch (key) {
      case 'Y':
        p.years = dec
        break
      case 'M':
        p.months = dec
        break
      case 'W':
        p.weeks = dec
        break
      case 'D':
        p.days = dec
        break
      case 'H':
        p.hours = dec
        break
      case 'm':
        p.minutes = dec
        break
      case 'S':
        p.seconds = dec
        break
    }
    nComponents++
    if (dec.scale > 0) {
      haveFraction = true
      previous = des
    }
  }
  if (nComponents === 0) {
    throw new PeriodError(`${isoPeriod}: expected 'Y', 'M', 'W', 'D', 'H', 'M', or 'S' designator`)
  }
  return normaliseSign(p)
}

/** The first byte of a string as Go's %c of a byte (Latin-1 rune). */
function firstByteChar(s: string): string {
  const b = new TextEncoder().encode(s)
  return goByteChar(b[0] as number)
}

function goByteChar(b: number): string {
  return String.fromCharCode(b)
}

const I64 = (x: bigint) => BigInt.asIntN(64, x)

/** fieldDuration: sign * coef * (factor / 10^scale) with int64 wrapping; [value, ok]. */
function fieldDuration(field: Dec, factor: bigint): [bigint, boolean] {
  if (field.coef === 0n) return [0n, true]
  let f = factor
  for (let i = field.scale; i > 0; i--) f /= 10n
  return [I64(I64(BigInt(decSign(field)) * I64(field.coef)) * f), f > 0n]
}

const DAYS_PER_YEAR_E6 = 365242500n
const DAYS_PER_MONTH_E6 = DAYS_PER_YEAR_E6 / 12n
const HOUR = 3600n * 1000000000n
const MINUTE = 60n * 1000000000n
const SECOND = 1000000000n

function totalDaysApproxE9(p: Period): [bigint, boolean] {
  const [dd, okd] = fieldDuration(p.days, 1000000000n)
  const [ww, okw] = fieldDuration(p.weeks, 7n * 1000000000n)
  const [mm, okm] = fieldDuration(p.months, DAYS_PER_MONTH_E6 * 1000n)
  const [yy, oky] = fieldDuration(p.years, DAYS_PER_YEAR_E6 * 1000n)
  return [I64(dd + ww + mm + yy), okd && okw && okm && oky]
}

function totalHrMinSec(p: Period): [bigint, boolean] {
  const [hh, okh] = fieldDuration(p.hours, HOUR)
  const [mm, okm] = fieldDuration(p.minutes, MINUTE)
  const [ss, oks] = fieldDuration(p.seconds, SECOND)
  return [I64(hh + mm + ss), okh && okm && oks]
}

function periodSign(p: Period): number {
  if (p.neg) return -1
  for (const f of FIELDS) if (!isZeroStruct(p[f])) return 1
  return 0
}

/** Period.Duration (approximate for calendar fields), nanoseconds as int64. */
export function periodDuration(p: Period): bigint {
  const sign = BigInt(periodSign(p))
  if (sign === 0n) return 0n
  const [daysE9] = totalDaysApproxE9(p)
  const ymwd = I64(daysE9 * 86400n)
  const [hms] = totalHrMinSec(p)
  return I64(sign * I64(ymwd + hms))
}

/** Period.Negate. */
export function negatePeriod(p: Period): Period {
  if (FIELDS.every((f) => isZeroStruct(p[f]))) return zeroPeriod()
  return { ...p, neg: !p.neg }
}

function int64Of(d: Dec): number {
  // Int64(0) of a whole decimal: the value (rounded half-even for fractions).
  const q = rshHalfEven(d.coef, d.scale)
  return Number(BigInt.asIntN(64, d.neg ? -q : q))
}

/** Period.AddTo(t). */
export function addPeriod(p: Period, t: Timestamp): Timestamp {
  const zeroCal =
    isZeroStruct(p.years) && isZeroStruct(p.months) && isZeroStruct(p.weeks) && isZeroStruct(p.days)
  const wholeCal =
    !zeroCal && p.years.scale === 0 && p.months.scale === 0 && p.weeks.scale === 0 && p.days.scale === 0
  if (!zeroCal && wholeCal) {
    let years = int64Of(p.years)
    let months = int64Of(p.months)
    let weeks = int64Of(p.weeks)
    let days = int64Of(p.days)
    let [hms] = totalHrMinSec(p)
    if (p.neg) {
      years = -years
      months = -months
      weeks = -weeks
      days = -days
      hms = I64(-hms)
    }
    return addDuration(addDate(t, years, months, 7 * weeks + days), hms)
  }
  return addDuration(t, periodDuration(p))
}
