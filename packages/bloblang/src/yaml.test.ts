// go-yaml v3 Marshal/Unmarshal behaviour. Expected output recorded from Bento v1.20.0.
import { describe, expect, it } from 'vitest'
import { encodeJSON, parseJSON, toStringValue } from './value.ts'
import { formatYAML, parseYAML, yamlKeyLess } from './yaml.ts'

describe('format_yaml (yaml.Marshal)', () => {
  it('indents by four and writes sequences under sequence items compactly', () => {
    const v = parseJSON('{"a":[["x","y"],["z",["w"]]],"b":[{"x":"1","y":["2"]},{}],"c":{"d":{"e":[]}}}')
    expect(formatYAML(v)).toBe(
      'a:\n    - - x\n      - "y"\n    - - z\n      - - w\nb:\n    - x: "1"\n      "y":\n        - "2"\n    - {}\nc:\n    d:\n        e: []\n',
    )
  })

  it('quotes like libyaml', () => {
    const v = [
      '- x',
      'a: b',
      ' lead',
      'a\tb',
      'null',
      'yes',
      '1_0',
      '2001-01-01',
      '',
      ':x',
      'x]',
      '😀',
      'a\nb',
      'a\n\n',
    ]
    expect(formatYAML(v)).toBe(
      '- \'- x\'\n- \'a: b\'\n- \' lead\'\n- "a\\tb"\n- "null"\n- "yes"\n- "1_0"\n- "2001-01-01"\n- ""\n- :x\n- x]\n- "\\U0001F600"\n- |-\n  a\n  b\n- |+\n  a\n\n',
    )
  })

  it('writes long or multi-line keys as complex keys', () => {
    expect(formatYAML({ 'a\nb': 1 })).toBe('? |-\n    a\n    b\n: 1\n')
  })

  it('orders keys naturally', () => {
    const keys = ['k1', 'k10', 'k2', 'a', 'B', '_', '1', '01', '10', '2', 'a1b', 'a01b', 'ab']
    expect(keys.sort((a, b) => (yamlKeyLess(a, b) ? -1 : yamlKeyLess(b, a) ? 1 : 0))).toEqual([
      '_',
      '1',
      '01',
      '2',
      '10',
      'B',
      'a',
      'a1b',
      'a01b',
      'ab',
      'k1',
      'k2',
      'k10',
    ])
  })
})

describe('parse_yaml (yaml.Unmarshal)', () => {
  const json = (s: string) => encodeJSON(parseYAML(s), false)

  it('resolves scalars like go-yaml', () => {
    expect(json('a: [1, 2.5, 0x10, 1_000, yes, ~, 017, 0b101, "1", 1e400, 08]')).toBe(
      '{"a":[1,2.5,16,1000,"yes",null,15,5,"1","1e400",8]}',
    )
    expect(toStringValue(parseYAML('2001-12-14T21:59:43.10-05:00'))).toBe('2001-12-14T21:59:43.1-05:00')
  })

  it('merges keys, explicit keys first', () => {
    expect(json('base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3')).toBe(
      '{"base":{"x":1,"y":2},"d":{"x":1,"y":3}}',
    )
  })

  it('reports duplicate keys and impossible tags', () => {
    expect(() => parseYAML('a: 1\na: 2')).toThrow(
      'yaml: unmarshal errors:\n  line 2: mapping key "a" already defined at line 1',
    )
    expect(() => parseYAML('a: !!null x')).toThrow('yaml: cannot decode !!str `x` as a !!null')
  })
})
