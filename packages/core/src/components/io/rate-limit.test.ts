import { describe, expect, test } from 'vitest'
import { Message } from '../../message.ts'
import { LocalRateLimit } from './rate-limit.ts'

function clock(start = 0) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

describe('local rate limit', () => {
  test('count accesses pass per interval; the next is told how long is left', async () => {
    const c = clock()
    const limit = new LocalRateLimit(3, 0, 1000, c.now)
    const waits = [await limit.access(), await limit.access(), await limit.access()]
    expect(waits).toEqual([0, 0, 0])
    c.advance(400)
    expect(await limit.access()).toBe(600)
    c.advance(100)
    expect(await limit.access()).toBe(500)
  })

  test('after the interval the bucket is refilled; the refilling access is free, as in Bento', async () => {
    const c = clock()
    const limit = new LocalRateLimit(3, 0, 1000, c.now)
    for (let i = 0; i < 3; i++) await limit.access()
    expect(await limit.access()).toBeGreaterThan(0)
    c.advance(1000)
    let passed = 0
    while ((await limit.access()) === 0) passed++
    expect(passed).toBe(4)
  })

  test('over many intervals the number of accesses let through is bounded by the count', async () => {
    const c = clock()
    const limit = new LocalRateLimit(10, 0, 100, c.now)
    let passed = 0
    for (let step = 0; step < 1000; step++) {
      if ((await limit.access()) === 0) passed++
      c.advance(1)
    }
    // 1000 ms = 10 intervals of at most 11 accesses (10, plus the free refilling one).
    expect(passed).toBeGreaterThanOrEqual(100)
    expect(passed).toBeLessThanOrEqual(110)
  })

  test('byte_size: add reports when the bytes of an interval exceed it', () => {
    const c = clock()
    const limit = new LocalRateLimit(0, 10, 1000, c.now)
    expect(limit.add(new Message('12345'))).toBe(false)
    expect(limit.add(new Message('123456'))).toBe(true)
    c.advance(1000)
    expect(limit.add(new Message('12345'))).toBe(false)
  })

  test('invalid settings', () => {
    expect(() => new LocalRateLimit(0, 0, 1000)).toThrow('either count or byte size must be larger than zero')
    expect(() => new LocalRateLimit(-1, 0, 1000)).toThrow('neither byte size nor count can be negative')
  })
})
