// Go reference-time layouts. Expected strings recorded from Bento v1.20.0 (Go 1.26).
import { describe, expect, it } from 'vitest'
import { parseRFC3339 } from '../time.ts'
import { toStringValue } from '../value.ts'
import { inLocation, loadLocation, UTC } from './core.ts'
import {
  compileLayout,
  formatLayout,
  nextStdChunk,
  parseLayout,
  STD_DAY,
  STD_FRAC_SECOND0,
  STD_FRAC_SECOND9,
  STD_ISO8601_COLON_TZ,
  STD_LONG_YEAR,
  STD_MONTH,
  STD_NUM_MONTH,
  STD_TZ,
  STD_UNDER_DAY,
  STD_WEEKDAY,
  STD_ZERO_YEAR_DAY,
} from './layout.ts'

function ts(s: string) {
  return parseRFC3339(s)
}

function fmt(t: string, layout: string, tz?: string): string {
  const v = tz === undefined ? ts(t) : inLocation(ts(t), loadLocation(tz))
  return formatLayout(v, compileLayout(layout))
}

function parseErr(layout: string, value: string): string {
  try {
    parseLayout(compileLayout(layout), value, UTC, UTC)
  } catch (e) {
    return String((e as Error).message)
  }
  return 'no error'
}

describe('layout tokenizer (nextStdChunk)', () => {
  it('finds std elements and the literal text before them', () => {
    const chunks = compileLayout('Mon Jan _2 2006 002 .000 Z07:00 MST').chunks
    expect(chunks.map((c) => [c.prefix, c.std, c.stdstr])).toEqual([
      ['', STD_WEEKDAY, 'Mon'],
      [' ', STD_MONTH, 'Jan'],
      [' ', STD_UNDER_DAY, '_2'],
      [' ', STD_LONG_YEAR, '2006'],
      [' ', STD_ZERO_YEAR_DAY, '002'],
      [' ', STD_FRAC_SECOND0, '.000'],
      [' ', STD_ISO8601_COLON_TZ, 'Z07:00'],
      [' ', STD_TZ, 'MST'],
      ['', 0, ''],
    ])
  })

  it('does not take words that merely start like a std element', () => {
    expect(nextStdChunk('Monthly')).toEqual({ at: 7, std: 0, len: 0 })
    expect(nextStdChunk('Janet')).toEqual({ at: 5, std: 0, len: 0 })
    // "Month": 'h' is lower case after "Mon", then no std
    expect(compileLayout('Month').chunks).toEqual([
      { prefix: 'Month', std: 0, stdstr: '', digits: 0, sep: '.' },
    ])
  })

  it('treats _2006 as a literal underscore then the year', () => {
    expect(compileLayout('_2006').chunks[0]).toMatchObject({ prefix: '_', std: STD_LONG_YEAR })
  })

  it('reads fractional seconds only when the digit run ends the element', () => {
    expect(compileLayout('.999').chunks[0]).toMatchObject({ std: STD_FRAC_SECOND9, digits: 3, sep: '.' })
    expect(compileLayout(',00').chunks[0]).toMatchObject({ std: STD_FRAC_SECOND0, digits: 2, sep: ',' })
    // ".01" is a literal "." followed by the month
    expect(compileLayout('.01').chunks[0]).toMatchObject({ prefix: '.', std: 0x104 })
    expect(compileLayout('1').chunks[0]?.std).toBe(STD_NUM_MONTH)
    expect(compileLayout('2').chunks[0]?.std).toBe(STD_DAY)
  })
})

describe('Time.Format', () => {
  it('formats every element', () => {
    expect(
      fmt(
        '2020-08-04T05:04:03.12045+02:00',
        'Mon Monday Jan January 1 01 2 _2 02 __2 002 3 03 15 4 04 5 05 06 2006 PM pm MST -0700 -07:00 -07 Z07:00 .000 ,999 .9',
      ),
    ).toBe(
      'Tue Tuesday Aug August 8 08 4  4 04 217 217 5 05 05 4 04 3 03 20 2020 AM am +0200 +0200 +02:00 +02 +02:00 .120 ,12 .1',
    )
    expect(
      fmt(
        '2020-12-31T23:59:59.999999999Z',
        '2006-01-02T15:04:05.999999999Z07:00 Z0700 Z070000 -070000 -07:00:00 Z07:00:00',
      ),
    ).toBe('2020-12-31T23:59:59.999999999Z Z Z +000000 +00:00:00 Z')
    expect(fmt('2020-06-09T13:00:00+05:45', '2006-01-02 15:04 MST')).toBe('2020-06-09 13:00 +0545')
  })

  it('uses tz database offsets and abbreviations, including DST and local mean time', () => {
    expect(fmt('2020-03-08T07:30:00Z', '2006-01-02 15:04 MST -07:00', 'America/New_York')).toBe(
      '2020-03-08 03:30 EDT -04:00',
    )
    expect(fmt('2020-03-08T06:30:00Z', '2006-01-02 15:04 MST -07:00', 'America/New_York')).toBe(
      '2020-03-08 01:30 EST -05:00',
    )
    expect(fmt('1850-01-01T00:00:00Z', '2006-01-02 15:04:05 MST -07:00:00', 'America/New_York')).toBe(
      '1849-12-31 19:03:58 LMT -04:56:02',
    )
    // past the transition table: the POSIX TZ rule of the zone file
    expect(fmt('2100-07-01T00:00:00Z', '2006-01-02 15:04 MST', 'Europe/Berlin')).toBe('2100-07-01 02:00 CEST')
  })
})

describe('time.Parse', () => {
  it('parses into UTC, fixed zones and GMT offsets', () => {
    const t = parseLayout(compileLayout('Mon, 02 Jan 2006 15:04:05 MST'), 'Fri, 14 Aug 2020 05:54:23 GMT+3')
    expect(toStringValue(t)).toBe('2020-08-14T08:54:23+03:00')
    const y = parseLayout(compileLayout('2006-002 03:04:05PM'), '2020-060 12:04:05.5PM')
    expect(toStringValue(y)).toBe('2020-02-29T12:04:05.5Z')
  })

  it('reports Go errors', () => {
    expect(parseErr('2006-01-02', '2020-02-30')).toBe('parsing time "2020-02-30": day out of range')
    expect(parseErr('2006-01-02', '2020-13-01')).toBe('parsing time "2020-13-01": month out of range')
    expect(parseErr('2006', 'x2020')).toBe('parsing time "x2020" as "2006": cannot parse "x2020" as "2006"')
    expect(parseErr('2006-01-02', '2020-01-01 extra')).toBe(
      'parsing time "2020-01-01 extra": extra text: " extra"',
    )
    expect(parseErr('2006', '2020\u00e9')).toBe('parsing time "2020\\xc3\\xa9": extra text: "\\xc3\\xa9"')
  })
})
