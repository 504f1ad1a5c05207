// strftime/strptime (itchyny/timefmt-go semantics). Expected strings recorded from Bento v1.20.0.
import { describe, expect, it } from 'vitest'
import { parseRFC3339 } from '../time.ts'
import { toStringValue } from '../value.ts'
import { compileStrftime, formatStrftime, parseStrftime } from './strftime.ts'

function f(t: string, format: string): string {
  return formatStrftime(parseRFC3339(t), compileStrftime(format))
}

function p(value: string, format: string): string {
  try {
    return toStringValue(parseStrftime(value, format))
  } catch (e) {
    return (e as Error).message
  }
}

const T = '2020-08-04T05:04:03.12045+02:00'

describe('strftime tokenizer', () => {
  it('compiles literals and directives, expanding compositions', () => {
    const ops = compileStrftime('at %F!').ops
    expect(ops[0]).toBe('at ')
    expect(ops.slice(1, 6).map((o) => (typeof o === 'string' ? o : `%${o.c}`))).toEqual([
      '%Y',
      '-',
      '%m',
      '-',
      '%d',
    ])
    expect(ops[6]).toBe('!')
  })

  it('keeps unknown directives and a trailing % as text', () => {
    expect(compileStrftime('%Q %5Q %').ops).toEqual(['%Q   %5Q %'])
  })

  it('records flags, widths and colons', () => {
    const [d] = compileStrftime('%_10::z').ops
    expect(d).toMatchObject({ c: 'z', width: 10, padding: 0xa0, colons: 2 })
  })
})

describe('strftime', () => {
  it('formats every directive', () => {
    expect(
      f(
        T,
        '%Y %y %C %m %d %e %j %H %k %I %l %M %S %f %p %P %a %A %b %B %h %u %w %U %W %V %G %g %z %:z %::z %Z %s %% %n %t|',
      ),
    ).toBe(
      '2020 20 20 08 04  4 217 05  5 05  5 04 03 120450 AM am Tue Tuesday Aug August Aug 2 2 31 31 32 2020 20 +0200 +02:00 +02:00:00 +0200 1596510243 % \n \t|',
    )
    expect(f(T, '%c|%+|%F|%D|%x|%v|%T|%X|%r|%R')).toBe(
      'Tue Aug  4 05:04:03 2020|Tue Aug  4 05:04:03 +0200 2020|2020-08-04|08/04/20|08/04/20| 4-Aug-2020|05:04:03|05:04:03|05:04:03 AM|05:04',
    )
  })

  it('applies flags and widths', () => {
    expect(f(T, '%-d %_d %05d %10A %-10A %^a %#a %#p %^B %3f %Q %5Q %')).toBe(
      '4  4 00004    Tuesday    Tuesday TUE TUE am AUGUST 120450 %Q   %5Q %',
    )
    expect(f('2020-08-04T05:04:03Z', '%_5z|%-z|%05z|%:::z|%::::z')).toBe(' +000|+000|+0000|+00|%::::z')
  })
})

describe('strptime', () => {
  it('parses', () => {
    expect(p('2020-Aug-14 11:50:26.371000 +05:30', '%Y-%b-%d %H:%M:%S.%f %z')).toBe(
      '2020-08-14T11:50:26.371+05:30',
    )
    expect(p('2020 53 5', '%G %V %u')).toBe('2021-01-01T00:00:00Z')
  })

  it('reports timefmt-go errors', () => {
    expect(p('2020-1x-01', '%Y-%m-%d')).toBe(`failed to parse "2020-1x-01" with "%Y-%m-%d": expected '-'`)
    expect(p('2020', '%Q')).toBe('failed to parse "2020" with "%Q": unexpected format "%Q"')
  })
})
