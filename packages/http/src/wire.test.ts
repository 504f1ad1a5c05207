import { describe, expect, test } from 'vitest'
import { detectContentType, parseCookies, parseListenAddress, parseMediaType, pathPattern } from './wire.ts'

describe('parseMediaType', () => {
  test('type and quoted parameters', () => {
    expect(parseMediaType('Multipart/Mixed; boundary="a b"; charset=utf-8')).toEqual({
      type: 'multipart/mixed',
      params: { boundary: 'a b', charset: 'utf-8' },
    })
  })
  test('malformed types throw', () => {
    expect(() => parseMediaType('text/plain;;x')).toThrow(/invalid media parameter/)
    expect(() => parseMediaType('a b/c')).toThrow(/mime/)
  })
})

test('parseCookies', () => {
  expect(parseCookies('a=1; b="two"; bad; =x; c=')).toEqual([
    ['a', '1'],
    ['b', 'two'],
    ['c', ''],
  ])
})

describe('pathPattern', () => {
  test('exact paths', () => {
    const p = pathPattern('/post')
    expect(p.match('/post')).toEqual({})
    expect(p.match('/post/x')).toBeUndefined()
  })
  test('path parameters, with and without their own pattern', () => {
    const p = pathPattern('/users/{id}/files/{name:[a-z]+}')
    expect(p.match('/users/42/files/abc')).toEqual({ id: '42', name: 'abc' })
    expect(p.match('/users/42/files/ABC')).toBeUndefined()
    expect(p.match('/users/4/2/files/abc')).toBeUndefined()
  })
  test('a trailing slash matches everything under it', () => {
    const p = pathPattern('/in/')
    expect(p.match('/in/a/b')).toEqual({})
    expect(p.match('/other')).toBeUndefined()
  })
  test('regex characters in the literal part are literal', () => {
    expect(pathPattern('/a.b').match('/axb')).toBeUndefined()
    expect(pathPattern('/a.b/{x}').match('/axb/1')).toBeUndefined()
  })
})

test('parseListenAddress', () => {
  expect(parseListenAddress('0.0.0.0:4195')).toEqual({ host: '0.0.0.0', port: 4195 })
  expect(parseListenAddress(':80')).toEqual({ host: undefined, port: 80 })
  expect(parseListenAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 })
  expect(() => parseListenAddress('localhost')).toThrow(/no port/)
  expect(() => parseListenAddress('localhost:x')).toThrow(/invalid port/)
})

test('detectContentType', () => {
  expect(detectContentType(Buffer.from('  <html><body>'))).toBe('text/html; charset=utf-8')
  expect(detectContentType(Buffer.from('{"a":1}'))).toBe('text/plain; charset=utf-8')
  expect(detectContentType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
    'image/png',
  )
  expect(detectContentType(new Uint8Array([1, 2, 3]))).toBe('application/octet-stream')
  expect(detectContentType(new Uint8Array())).toBe('text/plain; charset=utf-8')
})
