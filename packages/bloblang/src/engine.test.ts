// Behaviour checks against outputs recorded from Bento v1.20.0 (the Go oracle).

import { describe, expect, it } from 'vitest'
import { BloblangExecError, BloblangParseError, parse, toStringValue } from './index.ts'

type Expectation = { result: string } | { error: string } | { parse: string; detail: string }

const CASES: [string, string, Expectation][] = [
  [
    // Go's simple case mappings: nothing expands (ß, ﬀ, ǰ stay) and Σ lowers to σ everywhere.
    'root = [this.uppercase(), this.lowercase()]',
    '"ÜNÏcode ß ﬀ ǰ straße İstanbul ΟΔΟΣ ΣΑΣ ŉ 𐐨"',
    {
      result: '["ÜNÏCODE ß ﬀ ǰ STRAßE İSTANBUL ΟΔΟΣ ΣΑΣ ŉ 𐐀","ünïcode ß ﬀ ǰ straße istanbul οδοσ σασ ŉ 𐐨"]',
    },
  ],
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
  // Go url.Parse, strconv.ParseFloat, x/text title casing, html.UnescapeString, encoding/csv
  // field counts and slice bounds (recorded from the oracle).
  [
    'root = this.u.parse_url()',
    '{"u":"https://user:p%40ss@example.com:8080/a%2Fb/c d?x=1&y=%20#frag%20x"}',
    {
      result:
        '{"fragment":"frag x","host":"example.com:8080","opaque":"","path":"/a/b/c d","raw_fragment":"","raw_path":"/a%2Fb/c d","raw_query":"x=1&y=%20","scheme":"https","user":{"name":"user","password":"p@ss"}}',
    },
  ],
  [
    'root = this.u.parse_url()',
    '{"u":"http://a b.com/"}',
    {
      error:
        'failed assignment (line 1): field `this.u`: parse "http://a b.com/": invalid character " " in host name',
    },
  ],
  [
    'root = this.u.parse_url()',
    '{"u":"http://host:abc/"}',
    {
      error:
        'failed assignment (line 1): field `this.u`: parse "http://host:abc/": invalid port ":abc" after host',
    },
  ],
  [
    'root = this.u.parse_url()',
    '{"u":"http://[fe80::1%25en0]:80/x"}',
    {
      result:
        '{"fragment":"","host":"[fe80::1%en0]:80","opaque":"","path":"/x","raw_fragment":"","raw_path":"","raw_query":"","scheme":"http"}',
    },
  ],
  [
    'root = this.u.parse_url()',
    '{"u":"http://[zz]/"}',
    {
      error:
        'failed assignment (line 1): field `this.u`: parse "http://[zz]/": invalid host: ParseAddr("zz"): unable to parse IP',
    },
  ],
  [
    'root = this.u.parse_url()',
    '{"u":"http://x/\u00e9?q#\u00e9"}',
    {
      result:
        '{"fragment":"\u00e9","host":"x","opaque":"","path":"/\u00e9","raw_fragment":"\u00e9","raw_path":"/\u00e9","raw_query":"q","scheme":"http"}',
    },
  ],
  ['root = this.a.number()', '{"a":"0x1p4"}', { result: '16' }],
  ['root = this.a.number()', '{"a":"0x_1p4"}', { result: '16' }],
  [
    'root = this.a.number()',
    '{"a":"1__0"}',
    {
      error: 'failed assignment (line 1): field `this.a`: strconv.ParseFloat: parsing "1__0": invalid syntax',
    },
  ],
  ['root = this.s.capitalize()', '{"s": "1st place_winner x.y.z"}', { result: '1St Place_winner X.y.z' }],
  [
    'root = this.s.capitalize()',
    '{"s": "\\u03a3\\u0391\\u03a3 \\u039f\\u0394\\u039f\\u03a3"}',
    { result: '\u03a3\u03b1\u03c2 \u039f\u03b4\u03bf\u03c2' },
  ],
  [
    'root = this.s.capitalize()',
    '{"s": "\\u65e5\\u672c\\u8a9eabc abc\\u65e5\\u672c"}',
    { result: '\u65e5\u672c\u8a9eAbc Abc\u65e5\u672c' },
  ],
  [
    'root = this.s.unescape_html()',
    '{"s": "&#x41;&#65&#x;&#;&#0;&#128;&#x80;&#150;&#xD800;&#x110000;&#99999999999;"}',
    { result: 'AA\ufffd&#;\ufffd\u20ac\u20ac\u2013\ufffd\ufffd\ufffd' },
  ],
  [
    'root = this.s.unescape_html()',
    '{"s": "&copy2023 &copy=x &foo; &am &a"}',
    { result: '\u00a92023 \u00a9=x &foo; &am &a' },
  ],
  [
    'root = this.s.parse_csv()',
    '{"s":"a,b\\n\\n\\"x\\ny\\",2\\n1"}',
    { error: 'failed assignment (line 1): field `this.s`: record on line 5: wrong number of fields' },
  ],
  [
    'root = this.s.parse_csv()',
    '{"s":"a,b\\n\\n1,2\\n3,x\\"y"}',
    {
      error:
        'failed assignment (line 1): field `this.s`: parse error on line 4, column 4: bare " in non-quoted-field',
    },
  ],
  [
    'root = this.s.parse_csv()',
    '{"s":""}',
    { error: 'failed assignment (line 1): field `this.s`: zero records were parsed' },
  ],
  [
    'root = this.s.number()',
    '{"s":"0x10"}',
    {
      error: 'failed assignment (line 1): field `this.s`: strconv.ParseFloat: parsing "0x10": invalid syntax',
    },
  ],
  [
    'root = [this.a[1:1], "h\u00e9llo"[3:1]]',
    '{"a":[1,2]}',
    { error: 'failed assignment (line 1): lower slice bound (3) must be lower than upper (1)' },
  ],
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

  it('metadata objects stringify without HTML escaping, .string() escapes', () => {
    const out = parse('root.a = meta("o")\nroot.b = @o.string()\nmeta p = {"x": "<y>"}').apply({
      content: '{}',
      metadata: { o: { a: '<x>' } },
    })
    expect(new TextDecoder().decode(out.content)).toBe(
      '{"a":"{\\"a\\":\\"<x>\\"}","b":"{\\"a\\":\\"\\\\u003cx\\\\u003e\\"}"}',
    )
    expect(toStringValue(out.metadata.get('p'))).toBe('{"x":"<y>"}')
  })

  it('counter(set:) peeks with null, resets to a number, reports a bad set value', () => {
    const exe = parse('root = counter(set: if this.exists("s") { this.s })')
    const step = (s: string) => {
      try {
        return new TextDecoder().decode(exe.apply({ content: s }).content)
      } catch (e) {
        return (e as Error).message
      }
    }
    expect(['{}', '{}', '{"s":null}', '{"s":10}', '{}', '{"s":"x"}'].map(step)).toEqual([
      '1',
      '2',
      '2',
      '10',
      '11',
      'failed assignment (line 1): failed to resolve set argument: expected number value, got string ("x")',
    ])
  })

  it('parse errors carry the line/char prefix in the message', () => {
    expect(() => parse('root = this\nroot.a =1')).toThrow('line 2 char 9: expected whitespace')
  })
})
