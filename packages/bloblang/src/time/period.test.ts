// ISO 8601 periods and Go durations. Expected values recorded from Bento v1.20.0.
import { describe, expect, it } from 'vitest'
import { parseRFC3339 } from '../time.ts'
import { toStringValue } from '../value.ts'
import { inLocation, loadLocation, parseDuration } from './core.ts'
import { addPeriod, parsePeriod, periodDuration } from './period.ts'

const err = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return (e as Error).message
  }
  return 'no error'
}

describe('ISO 8601 periods', () => {
  it('approximates calendar fields with 365.2425-day years', () => {
    expect(periodDuration(parsePeriod('P3Y6M4DT12H30M5S'))).toBe(110839937000000000n)
    expect(periodDuration(parsePeriod('P1.5Y'))).toBe(47335428000000000n)
    expect(periodDuration(parsePeriod('-P-1Y2M'))).toBe(26297460000000000n)
  })

  it('reports period errors', () => {
    expect(err(() => parsePeriod('P1.5YT1H'))).toBe(
      "P1.5YT1H: 'Y' & 'H' only the last field can have a fraction",
    )
    expect(err(() => parsePeriod('PT1D'))).toBe("PT1D: 'D' designator cannot occur here")
    expect(err(() => parsePeriod('XP1D'))).toBe("XP1D: expected 'P' period mark at the start")
  })

  it('adds whole calendar fields in the timestamp zone', () => {
    expect(toStringValue(addPeriod(parsePeriod('P1M'), parseRFC3339('2020-01-31T12:00:00Z')))).toBe(
      '2020-03-02T12:00:00Z',
    )
    const ny = inLocation(parseRFC3339('2020-03-07T12:00:00-05:00'), loadLocation('America/New_York'))
    expect(toStringValue(addPeriod(parsePeriod('P1D'), ny))).toBe('2020-03-08T12:00:00-04:00')
  })
})

describe('time.ParseDuration', () => {
  it('parses to nanoseconds', () => {
    expect(parseDuration('2562047h47m16.854775807s')).toMatchObject({ big: 9223372036854775807n })
    expect(parseDuration('1.5µs')).toBe(1500)
    expect(parseDuration('-1h30m')).toBe(-5400000000000)
  })

  it('reports Go errors', () => {
    expect(err(() => parseDuration('2562047h47m16.854775808s'))).toBe(
      'time: invalid duration "2562047h47m16.854775808s"',
    )
    expect(err(() => parseDuration('1x'))).toBe('time: unknown unit "x" in duration "1x"')
    expect(err(() => parseDuration('5'))).toBe('time: missing unit in duration "5"')
  })
})
