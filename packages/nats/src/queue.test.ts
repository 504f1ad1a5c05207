import { describe, expect, test } from 'vitest'
import { DeliveryQueue } from './queue.ts'

const never = new AbortController().signal

describe('DeliveryQueue', () => {
  test('hands items out in order, to readers that wait too', async () => {
    const q = new DeliveryQueue<number>()
    q.push(1)
    q.push(2)
    expect(await q.take(never)).toBe(1)
    expect(await q.take(never)).toBe(2)
    const waiting = q.take(never)
    q.push(3)
    expect(await waiting).toBe(3)
    expect(q.size).toBe(0)
  })

  test('keeps order across many items (compaction)', async () => {
    const q = new DeliveryQueue<number>()
    for (let i = 0; i < 5000; i++) q.push(i)
    for (let i = 0; i < 3000; i++) expect(await q.take(never)).toBe(i)
    for (let i = 5000; i < 6000; i++) q.push(i)
    for (let i = 3000; i < 6000; i++) expect(await q.take(never)).toBe(i)
  })

  test('refuses items beyond its limit unless a reader waits', async () => {
    const q = new DeliveryQueue<string>(1)
    expect(q.push('a')).toBe(true)
    expect(q.push('b')).toBe(false)
    expect(await q.take(never)).toBe('a')
    const zero = new DeliveryQueue<string>(0)
    expect(zero.push('x')).toBe(false)
    const waiting = zero.take(never)
    expect(zero.push('y')).toBe(true)
    expect(await waiting).toBe('y')
  })

  test('fail: held items first, then the error, for waiting and later readers', async () => {
    const q = new DeliveryQueue<number>()
    const waiting = q.take(never)
    q.fail(new Error('gone'))
    await expect(waiting).rejects.toThrow('gone')
    const q2 = new DeliveryQueue<number>()
    q2.push(1)
    q2.fail(new Error('gone'))
    expect(await q2.take(never)).toBe(1)
    await expect(q2.take(never)).rejects.toThrow('gone')
    expect(q2.reset()).toEqual([])
    q2.push(2)
    expect(await q2.take(never)).toBe(2)
  })

  test('an aborted read takes nothing', async () => {
    const q = new DeliveryQueue<number>()
    const controller = new AbortController()
    const waiting = q.take(controller.signal)
    controller.abort(new Error('stop'))
    await expect(waiting).rejects.toThrow('stop')
    q.push(1)
    expect(q.size).toBe(1)
    expect(await q.take(never)).toBe(1)
  })
})
