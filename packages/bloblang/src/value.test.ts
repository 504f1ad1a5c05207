import { describe, expect, it } from 'vitest'
import {
  encodeJSON,
  float64,
  formatFloatG,
  int64,
  Num,
  parseJSON,
  quoteJSONString,
  toStringValue,
  typeOf,
  utf8Length,
  type Value,
} from './value.ts'

describe('JSON numbers', () => {
  it('keeps number text that a JS number cannot reproduce', () => {
    const text = '{"a":1.0,"b":12345678901234567890123,"c":1e3,"d":-0,"e":0.00001}'
    expect(encodeJSON(parseJSON(text), false)).toBe(text)
  })

  it('parses plain integers and floats as JS numbers', () => {
    expect(parseJSON('[1,-2,3.5]')).toEqual([1, -2, 3.5])
  })

  it('parses int64 beyond 2^53 exactly', () => {
    const v = parseJSON('9007199254740993')
    expect(v).toBeInstanceOf(Num)
    expect((v as Num).big).toBe(9007199254740993n)
  })

  it('reports Go-style syntax errors', () => {
    expect(() => parseJSON('not json')).toThrowError()
    try {
      parseJSON('not json')
    } catch (e) {
      expect(String(e)).toBe("invalid character 'o' in literal null (expecting 'u')")
    }
  })
})

describe('number formatting', () => {
  it('formats floats like strconv.FormatFloat(f, g, -1, 64)', () => {
    expect(formatFloatG(1000000)).toBe('1e+06')
    expect(formatFloatG(123456.5)).toBe('123456.5')
    expect(formatFloatG(0.00001)).toBe('1e-05')
    expect(formatFloatG(0.0001)).toBe('0.0001')
    expect(formatFloatG(1.5e300)).toBe('1.5e+300')
  })

  it('distinguishes integral floats from ints when stringifying', () => {
    expect(toStringValue(float64(2000000))).toBe('2e+06')
    expect(toStringValue(2000000)).toBe('2000000')
  })

  it('wraps int64 on overflow', () => {
    expect(encodeJSON(int64(9223372036854775808n), false)).toBe('-9223372036854775808')
  })
})

describe('JSON encoding', () => {
  it('sorts keys and escapes like encoding/json', () => {
    expect(encodeJSON({ b: 1, a: '<\u2028\n' }, false)).toBe('{"a":"<\\u2028\\n","b":1}')
    expect(quoteJSONString('<&>', true)).toBe('"\\u003c\\u0026\\u003e"')
  })

  it('encodes bytes as base64', () => {
    expect(encodeJSON(new TextEncoder().encode('hi'), false)).toBe('"aGk="')
  })
})

describe('types', () => {
  it('names types like Bento', () => {
    const values: Value[] = [1, 'a', true, null, [], {}, float64(1)]
    expect(values.map((v) => typeOf(v))).toEqual([
      'number',
      'string',
      'bool',
      'null',
      'array',
      'object',
      'number',
    ])
  })

  it('measures strings in UTF-8 bytes', () => {
    expect(utf8Length('héllo')).toBe(6)
  })
})
