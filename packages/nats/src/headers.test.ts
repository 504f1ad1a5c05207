import { Message } from '@bento-ts/core'
import { BatchView } from '@bento-ts/core/kit'
import { headers } from 'nats'
import { describe, expect, test } from 'vitest'
import { headerWriter, setHeaderMetadata } from './headers.ts'

describe('headerWriter', () => {
  const message = () =>
    new Message('body', [
      ['app_id', 'a1'],
      ['app_count', 3],
      ['other', 'x'],
    ])

  test('explicit headers are interpolated per message; metadata only as the filter selects', () => {
    const w = headerWriter(
      { 'Content-Type': 'text/plain', 'X-Id': '${! meta("app_id") }' },
      {
        include_prefixes: ['app_'],
        include_patterns: [],
      },
    )
    expect(w.active).toBe(true)
    const h = w.build(new BatchView([message()]), 0)!
    expect(Object.fromEntries(h)).toEqual({
      'Content-Type': ['text/plain'],
      'X-Id': ['a1'],
      app_id: ['a1'],
      app_count: ['3'],
    })
  })

  test('patterns select too; nothing selected means no headers at all', () => {
    const w = headerWriter({}, { include_prefixes: [], include_patterns: ['^oth'] })
    expect(Object.fromEntries(w.build(new BatchView([message()]), 0)!)).toEqual({ other: ['x'] })
    const none = headerWriter({}, { include_prefixes: [], include_patterns: [] })
    expect(none.active).toBe(false)
    expect(none.build(new BatchView([message()]), 0)).toBeUndefined()
  })

  test('a failing interpolation names the header', () => {
    const w = headerWriter({ 'X-N': '${! this.missing.number() }' }, undefined)
    expect(() => w.build(new BatchView([new Message('{}')]), 0)).toThrow(/^headers\.X-N interpolation error/)
  })

  test('a header value that does not parse is a FieldError naming the header', () => {
    expect(() => headerWriter({ 'X-Bad': '${! this. }' }, undefined)).toThrow(
      /^headers\.X-Bad: failed to parse interpolation/,
    )
  })
})

test('setHeaderMetadata takes the first value of each header; skipEmpty leaves empty ones out', () => {
  const h = headers()
  h.append('A', '1')
  h.append('A', '2')
  h.set('Empty', '')
  const all = new Map<string, unknown>()
  setHeaderMetadata(all, h, false)
  expect(Object.fromEntries(all)).toEqual({ A: '1', Empty: '' })
  const some = new Map<string, unknown>()
  setHeaderMetadata(some, h, true)
  expect(Object.fromEntries(some)).toEqual({ A: '1' })
  setHeaderMetadata(some, undefined, true)
  expect(some.size).toBe(1)
})
