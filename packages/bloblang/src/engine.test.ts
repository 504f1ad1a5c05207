// Behaviour checks against outputs recorded from Bento v1.20.0 (the Go oracle).

import { describe, expect, it } from 'vitest'
import { BloblangExecError, BloblangParseError, parse } from './index.ts'

type Expectation = { result: string } | { error: string } | { parse: string; detail: string }

const CASES: [string, string, Expectation][] = [
  [
    'root = this',
    '{"a":1.0,"b":12345678901234567890123,"c":"<&>","d":1e3,"e":-0}',
    { result: '{"a":1.0,"b":12345678901234567890123,"c":"<&>","d":1e3,"e":-0}' },
  ],
  [
    'root.a = this.a + 1\nroot.c = this.a / 2',
    '{"a":9007199254740993}',
    { result: '{"a":9007199254740994,"c":4503599627370496}' },
  ],
  ['root = 9223372036854775807 + 1', '{}', { result: '-9223372036854775808' }],
  [
    'root.a = (1000000.0).string()\nroot.b = (10/4).string()\nroot.c = (10/2).string()',
    '{}',
    { result: '{"a":"1e+06","b":"2.5","c":"5"}' },
  ],
  [
    'root = this.x.uppercase()',
    '{"x":5}',
    { error: 'failed assignment (line 1): expected string value, got number from field `this.x` (5)' },
  ],
  [
    'root.a = this.a.or("default")\nroot.b = this.b | "fallback"\nroot.c = this.c.catch("caught")',
    '{"a":null,"c":1}',
    { result: '{"a":"default","b":"fallback","c":1}' },
  ],
  ['root = match this.a {\n  1 => "one"\n  2 => "two"\n  _ => "other"\n}', '{"a":2}', { result: 'two' }],
  [
    'let x = 5\nroot.y = $x * 2\nroot.z = $undefined_var',
    '{}',
    { error: "failed assignment (line 3): variable 'undefined_var' undefined" },
  ],
  ['root = this.items.map_each(i -> i * 2)', '{"items":[1,2,3]}', { result: '[2,4,6]' }],
  [
    'map thing {\n  root.inner = this.first\n}\nroot.foo = this.doc.apply("thing")',
    '{"doc":{"first":"hello"}}',
    { result: '{"foo":{"inner":"hello"}}' },
  ],
  [
    'root.a = this.s[1:3]\nroot.b = this.arr[-1]\nroot.c = this.arr[::-1]',
    '{"s":"hello","arr":[1,2,3]}',
    { result: '{"a":"el","b":3,"c":[3,2,1]}' },
  ],
  ['root = this\nroot.b = deleted()', '{"a":1,"b":2}', { result: '{"a":1}' }],
  [
    'root = 5 + "a"',
    '{}',
    {
      parse: 'line 1 char 8: ',
      detail: 'cannot add types number (from number literal) and string (from string literal): 5 + "',
    },
  ],
  [
    'root = this.a + this.b',
    '{"a":5,"b":"x"}',
    {
      error:
        'failed assignment (line 1): cannot add types number (from field `this.a`) and string (from field `this.b`)',
    },
  ],
  [
    'root.foo = this.bar',
    'not json',
    {
      error:
        "failed assignment (line 1): unable to reference message as structured (with 'this.bar'): parse as json: invalid character 'o' in literal null (expecting 'u')",
    },
  ],
  ['root.a =1', '{}', { parse: 'line 1 char 9: ', detail: 'expected whitespace, got: 1' }],
  [
    'root = not_a_function()',
    '{}',
    { parse: 'line 1 char 24: ', detail: "unrecognised function 'not_a_function'" },
  ],
  [
    'root = "abc',
    '{}',
    { parse: 'line 1 char 12: ', detail: 'required: expected end quote, but reached end of input' },
  ],
  [
    'this.foo.uppercase()\nroot.bar = 1',
    '{"foo":"up"}',
    {
      parse: 'line 2 char 1: ',
      detail:
        'expected the mapping to end here as the beginning is shorthand for `root = this.foo.upp...`, but this shorthand form cannot be followed with more assignments, got: root.',
    },
  ],
  [
    'root = if this.x { 1 }',
    '{"x":"str"}',
    { error: 'failed assignment (line 1): field `this.x` resolved to a non-boolean value str (string)' },
  ],
  [
    'root = this\nroot.s.x = 3',
    '{"s":"str"}',
    {
      error:
        'failed assignment (line 2): unable to set target path s.x as the value of s was a non-object type (string)',
    },
  ],
  ['root = this.a.string()', '{"a":["\\u2028<"]}', { result: '["\\u2028\\u003c"]' }],
  ['root = this.a.format_json(no_indent: true)', '{"a":{"c":"<"}}', { result: '{"c":"\\u003c"}' }],
  [
    'root = this.a.map_each(x -> x.uppercase())',
    '{"a":["a",1]}',
    {
      error:
        'failed assignment (line 1): field `this.a`: failed to process element 1: expected string value, got number from field `x` (1)',
    },
  ],
  ['root = this.a * 100', '{"a":123456789012345678}', { result: '-6101065172474983816' }],
]

function run(mapping: string, input: string): Expectation {
  let exe: ReturnType<typeof parse>
  try {
    exe = parse(mapping)
  } catch (e) {
    if (!(e instanceof BloblangParseError)) throw e
    return { parse: `line ${e.line} char ${e.column}: `, detail: e.detail }
  }
  try {
    return { result: new TextDecoder().decode(exe.apply({ content: input }).content) }
  } catch (e) {
    if (!(e instanceof BloblangExecError)) throw e
    return { error: e.message }
  }
}

describe('mappings behave like Bento', () => {
  for (const [mapping, input, want] of CASES) {
    it(mapping.replaceAll('\n', ' ; '), () => {
      expect(run(mapping, input)).toEqual(want)
    })
  }

  it('parse errors carry the line/char prefix in the message', () => {
    expect(() => parse('root = this\nroot.a =1')).toThrow('line 2 char 9: expected whitespace')
  })
})
