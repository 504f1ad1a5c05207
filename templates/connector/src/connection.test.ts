// Unit tests of the connector's own logic (no server): the address and the payload encoding.
import { describe, expect, test } from 'vitest'
import { decode, encode, splitAddress } from './connection.ts'

describe('splitAddress', () => {
  test('host and port', () => {
    expect(splitAddress('localhost:7000')).toEqual(['localhost', 7000])
    expect(splitAddress('[::1]:7000')).toEqual(['[::1]', 7000])
  })
  test.each(['localhost', ':7000', 'localhost:0', 'localhost:70000', 'localhost:x'])(
    '%s is refused',
    (address) => {
      expect(() => splitAddress(address)).toThrow(`expected host:port, got "${address}"`)
    },
  )
})

test('any bytes survive the line encoding, line breaks included', () => {
  const bytes = new Uint8Array([0, 10, 13, 255, 32, 65])
  const line = encode(bytes)
  expect(line).not.toMatch(/[\s]/)
  expect([...decode(line)]).toEqual([...bytes])
})
