import { expect, test } from 'vitest'
import { retryWaits, statusVerdict } from './client.ts'

const rules = { drop_on: [400], backoff_on: [429, 200], successful_on: [409] }

test('statusVerdict follows Bento: drop_on, then backoff_on, then successful_on, then 2XX', () => {
  expect(statusVerdict(400, rules)).toBe('drop')
  expect(statusVerdict(429, rules)).toBe('backoff')
  // a 2XX listed in backoff_on is retried
  expect(statusVerdict(200, rules)).toBe('backoff')
  expect(statusVerdict(409, rules)).toBe('ok')
  expect(statusVerdict(204, rules)).toBe('ok')
  expect(statusVerdict(500, rules)).toBe('retry')
  expect(statusVerdict(302, rules)).toBe('retry')
})

test('retryWaits: linear for ordinary failures, doubling up to the maximum for backoff_on', () => {
  const waits = retryWaits(100, 350)
  expect([
    waits('retry'),
    waits('backoff'),
    waits('backoff'),
    waits('retry'),
    waits('backoff'),
    waits('backoff'),
  ]).toEqual([100, 100, 200, 100, 350, 350])
})
