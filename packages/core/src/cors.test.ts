import { describe, expect, test } from 'vitest'
import { canonicalHeaderKey } from './cors.ts'

describe('canonicalHeaderKey', () => {
  test('Go canonical form', () => {
    expect(canonicalHeaderKey('content-type')).toBe('Content-Type')
    expect(canonicalHeaderKey('X-FORWARDED-FOR')).toBe('X-Forwarded-For')
    expect(canonicalHeaderKey('user-agent')).toBe('User-Agent')
    expect(canonicalHeaderKey('x_id')).toBe('X_id')
  })
  test('a name with invalid characters is left alone', () => {
    expect(canonicalHeaderKey('bad name')).toBe('bad name')
  })
})
