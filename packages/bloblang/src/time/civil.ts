// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), integer only,
// so years before 100 or far in the future behave like Go's time package (JS Date would not).

export const SECONDS_PER_DAY = 86400

/** Euclidean division helpers (Go's norm / floor semantics on negative values). */
export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b)
}

export function floorMod(a: number, b: number): number {
  const m = a % b
  return m < 0 ? m + b : m
}

/** Days since the epoch of a civil date; `day` may overflow the month (Go's Date normalises). */
export function daysFromCivil(year: number, month: number, day: number): number {
  // month in 1..12 (callers normalise first)
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = (month + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5)
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468 + (day - 1)
}

export interface CivilDate {
  year: number
  month: number
  day: number
}

/** The civil date of a day number. */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

export function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
}

const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]

/** Days in a non-leap year before month m (1-based; m = 13 gives 365). */
export function daysBefore(m: number): number {
  return DAYS_BEFORE[m - 1] as number
}

export function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28
  return (DAYS_BEFORE[month] as number) - (DAYS_BEFORE[month - 1] as number)
}

/** 0 = Sunday. */
export function weekdayOfDays(days: number): number {
  return floorMod(days + 4, 7)
}

/** 1-based day of the year. */
export function ydayOfDays(days: number, year: number): number {
  return days - daysFromCivil(year, 1, 1) + 1
}

/** Go's Time.ISOWeek for a day number. */
export function isoWeek(days: number): { year: number; week: number } {
  // The Thursday of the same ISO week (weeks start on Monday) decides the year.
  const wd = (weekdayOfDays(days) + 6) % 7 // Monday = 0
  const thursday = days - wd + 3
  const { year } = civilFromDays(thursday)
  return { year, week: Math.floor((ydayOfDays(thursday, year) - 1) / 7) + 1 }
}

/** Go's norm: hi*base + lo with 0 <= lo < base. */
export function norm(hi: number, lo: number, base: number): [number, number] {
  if (lo < 0) {
    const n = Math.floor((-lo - 1) / base) + 1
    hi -= n
    lo += n * base
  }
  if (lo >= base) {
    const n = Math.floor(lo / base)
    hi += n
    lo -= n * base
  }
  return [hi, lo]
}

/** Calendar and clock fields of local seconds since the epoch. */
export interface Fields {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  /** Day number (days since the epoch, local). */
  days: number
}

export function fieldsOf(localSec: number): Fields {
  const days = Math.floor(localSec / SECONDS_PER_DAY)
  const s = localSec - days * SECONDS_PER_DAY
  const c = civilFromDays(days)
  return {
    year: c.year,
    month: c.month,
    day: c.day,
    hour: Math.floor(s / 3600),
    minute: Math.floor((s % 3600) / 60),
    second: s % 60,
    days,
  }
}
