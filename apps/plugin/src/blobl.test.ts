import { BloblangParseError, parse } from '@bento-ts/bloblang'
import { describe, expect, test } from 'vitest'
import { bloblLineRunner, describeParseError } from './blobl.ts'

const line = (text: string) => new TextEncoder().encode(text)

describe('blobl line runner', () => {
  test('objects print as HTML-escaped JSON with sorted keys; strings print raw', () => {
    const run = bloblLineRunner(parse('root.b = this.a\nroot.a = "<x>"'), { raw: false, pretty: false })
    expect(run(line('{"a":1}'))).toBe('{"a":"\\u003cx\\u003e","b":1}')
    expect(
      bloblLineRunner(parse('root = this.s'), { raw: false, pretty: false })(line('{"s":"<raw>"}')),
    ).toBe('<raw>')
  })

  test('a deleted message prints an empty line; an unassigned root echoes the document', () => {
    expect(bloblLineRunner(parse('root = deleted()'), { raw: false, pretty: false })(line('{}'))).toBe('')
    expect(bloblLineRunner(parse('meta a = 1'), { raw: false, pretty: false })(line('{"z":1,"a":2}'))).toBe(
      '{"a":2,"z":1}',
    )
  })

  test('metadata written on one line is seen on the next, as in bento blobl', () => {
    const run = bloblLineRunner(parse('meta n = (@n | 0) + 1\nroot = @n'), { raw: false, pretty: false })
    expect([run(line('{}')), run(line('{}')), run(line('{}'))]).toEqual(['1', '2', '3'])
  })

  test('--pretty indents by two spaces', () => {
    expect(bloblLineRunner(parse('root = this'), { raw: false, pretty: true })(line('{"a":[1]}'))).toBe(
      '{\n  "a": [\n    1\n  ]\n}',
    )
  })
})

test('a parse error is shown with the line and a caret under the column', () => {
  const mapping = 'root.a = this.a\nroot.b = this.b.uppercase('
  let error: BloblangParseError | undefined
  try {
    parse(mapping)
  } catch (err) {
    error = err as BloblangParseError
  }
  expect(error).toBeInstanceOf(BloblangParseError)
  expect(describeParseError(mapping, error!)).toBe(
    'line 2 char 27: required: expected function argument\n  |\n2 | root.b = this.b.uppercase(\n  |                           ^---',
  )
})
