import { Message } from '@bento-ts/core'
import { BatchView, interpolation } from '@bento-ts/core/kit'
import { describe, expect, test } from 'vitest'
import { hashFields, hashValue } from './hash-output.ts'

describe('hashValue', () => {
  test('strings as they are, booleans 1/0, null empty, the rest as JSON', () => {
    expect(hashValue('x')).toBe('x')
    expect(hashValue(true)).toBe('1')
    expect(hashValue(false)).toBe('0')
    expect(hashValue(null)).toBe('')
    expect(hashValue(12.5)).toBe('12.5')
    expect(hashValue({ a: [1, 'b'] })).toBe('{"a":[1,"b"]}')
  })
})

describe('hashFields', () => {
  const message = new Message('{"a":"json","b":2}', [
    ['a', 'meta'],
    ['m', 'only meta'],
  ])
  const view = new BatchView([message])

  test('metadata, then JSON members, then explicit fields; later ones win', () => {
    const fields = hashFields(message, 0, view, {
      walkMetadata: true,
      walkJson: true,
      fields: [['b', interpolation('fields.b', '${! this.b + 1 }')]],
    })
    expect(Object.fromEntries(fields)).toEqual({ a: 'json', m: 'only meta', b: '3' })
  })

  test('walking a payload that is not an object fails, saying what it found', () => {
    const array = new Message('[1]')
    expect(() =>
      hashFields(array, 0, new BatchView([array]), { walkMetadata: false, walkJson: true, fields: [] }),
    ).toThrow(/failed to walk JSON object: expected JSON object, found array/)
  })
})
