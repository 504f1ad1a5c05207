import { encodeJSON, parseJSON } from '@bento-ts/bloblang'
import { describe, expect, test } from 'vitest'
import { Message } from './message.ts'

const decode = (b: Uint8Array) => new TextDecoder().decode(b)

describe('Message payloads', () => {
  test('text and bytes stand for the same payload', () => {
    const m = new Message('héllo')
    expect(m.content()).toBe('héllo')
    expect(decode(m.bytes())).toBe('héllo')
    expect(m.bytes()).toBe(m.bytes())
    expect(m.text()).toBe('héllo')
  })

  test('a lone surrogate in text reads back as what its UTF-8 bytes decode to', () => {
    const m = new Message('a\uD800b')
    expect(m.text()).toBe('a\uFFFDb')
    expect(m.content()).toBeInstanceOf(Uint8Array)
  })

  test('a pending JSON value is serialised only when asked, and structured is a fresh parse', () => {
    const value = parseJSON('{"b":1,"a":[1,2]}')
    const m = Message.adopt({ json: value }, new Map([['k', 'v']]))
    expect(m.metadata.get('k')).toBe('v')
    expect(m.text()).toBe(encodeJSON(value, false))
    expect(decode(m.bytes())).toBe('{"a":[1,2],"b":1}')
    const structured = m.structured()
    expect(structured).not.toBe(value)
    expect(encodeJSON(structured, false)).toBe('{"a":[1,2],"b":1}')
  })

  test('adopt takes the metadata map as it is; the constructor copies it', () => {
    const meta = new Map<string, unknown>([['a', 1]])
    expect(Message.adopt('x', meta).metadata).toBe(meta)
    const made = new Message('x', meta)
    expect(made.metadata).not.toBe(meta)
    expect(new Message('y').metadata.size).toBe(0)
  })

  test('copies are independent: metadata, error flag and payload', () => {
    const m = Message.adopt({ json: parseJSON('{"a":1}') }, new Map([['k', 'v']]))
    const c = m.copy()
    c.metadata.set('k', 'changed')
    c.error = new Error('x')
    c.setBytes('other')
    expect(m.metadata.get('k')).toBe('v')
    expect(m.error).toBeUndefined()
    expect(m.text()).toBe('{"a":1}')
    expect(c.text()).toBe('other')
  })

  test('an empty payload is not JSON', () => {
    expect(() => new Message('').structured()).toThrow('message is empty')
    expect(() => new Message().structured()).toThrow('message is empty')
  })

  test('setStructured replaces every other representation', () => {
    const m = new Message('{"a":1}')
    m.setStructured(parseJSON('{"b":2}'))
    expect(m.text()).toBe('{"b":2}')
    expect(m.content()).toBe('{"b":2}')
  })
})
