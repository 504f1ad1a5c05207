import { expect, test } from 'vitest'
import { parseDuration } from './duration.ts'

test('Go duration strings', () => {
  expect(parseDuration('500ms')).toBe(500)
  expect(parseDuration('1m30s')).toBe(90_000)
  expect(parseDuration('1.5h')).toBe(5_400_000)
  expect(parseDuration('250us')).toBeCloseTo(0.25)
  expect(parseDuration('0')).toBe(0)
  expect(parseDuration('-2s')).toBe(-2000)
})

test('what is not a duration says so', () => {
  expect(() => parseDuration('5 seconds')).toThrow('invalid duration "5 seconds"')
  expect(() => parseDuration('10')).toThrow('invalid duration "10"')
  expect(() => parseDuration('')).toThrow('invalid duration ""')
})
