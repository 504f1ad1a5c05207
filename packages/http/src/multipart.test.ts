import { describe, expect, test } from 'vitest'
import { decodeMultipart, encodeMultipart, newBoundary } from './multipart.ts'

const text = (b: Uint8Array) => Buffer.from(b).toString()

describe('multipart', () => {
  test('round trip keeps bodies (empty, binary, with CRLF) and headers', () => {
    const boundary = newBoundary()
    expect(boundary).toMatch(/^[0-9a-f]{60}$/)
    const bodies = [
      Buffer.from('first'),
      Buffer.alloc(0),
      Buffer.from('a\r\nb\r\n'),
      Buffer.from([0, 255, 13, 10]),
    ]
    const encoded = encodeMultipart(
      bodies.map((body, i) => ({ headers: [['Content-Type', `t/${i}`]], body })),
      boundary,
    )
    const parts = decodeMultipart(encoded, boundary)
    expect(parts.map((p) => Buffer.from(p.body))).toEqual(bodies)
    expect(parts.map((p) => p.headers)).toEqual(bodies.map((_, i) => [['content-type', `t/${i}`]]))
  })

  test('reads what other writers produce: preamble, parts without headers, LF after the delimiter', () => {
    const body = 'preamble\r\n--xx\r\n\r\none\r\n--xx\nX-A: 1\r\n\r\ntwo\r\n--xx--\r\nepilogue'
    const parts = decodeMultipart(Buffer.from(body), 'xx')
    expect(parts.map((p) => text(p.body))).toEqual(['one', 'two'])
    expect(parts[1]!.headers).toEqual([['x-a', '1']])
  })

  test('an empty multipart body is no parts', () => {
    expect(decodeMultipart(encodeMultipart([], 'b'), 'b')).toEqual([])
  })

  test('a body cut short or without the boundary fails', () => {
    expect(() => decodeMultipart(Buffer.from('--b\r\n\r\nunfinished'), 'b')).toThrow(/EOF/)
    expect(() => decodeMultipart(Buffer.from('no boundary here'), 'b')).toThrow(/EOF/)
    expect(() => decodeMultipart(Buffer.from('--b\r\nbad header\r\n\r\nx\r\n--b--'), 'b')).toThrow(
      /malformed/,
    )
  })
})
