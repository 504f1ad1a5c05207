import { describe, expect, test } from 'vitest'
import { PublishGate } from './flow-control.ts'

const never = new AbortController().signal

describe('PublishGate', () => {
  test('block: waits for room and admits in arrival order', async () => {
    const gate = new PublishGate({ maxMessages: 2, maxBytes: 0, behavior: 'block' })
    expect(gate.acquire(10, never)).toBeUndefined()
    expect(gate.acquire(10, never)).toBeUndefined()
    const order: string[] = []
    const third = gate.acquire(10, never)?.then(() => order.push('third'))
    const fourth = gate.acquire(10, never)?.then(() => order.push('fourth'))
    expect(third).toBeDefined()
    expect(fourth).toBeDefined()
    gate.release(10)
    await third
    expect(order).toEqual(['third'])
    gate.release(10)
    await fourth
    expect(order).toEqual(['third', 'fourth'])
    expect(gate.outstanding).toEqual({ messages: 2, bytes: 20 })
  })

  test('block: a byte limit holds a large message until enough is released', async () => {
    const gate = new PublishGate({ maxMessages: 0, maxBytes: 100, behavior: 'block' })
    expect(gate.acquire(60, never)).toBeUndefined()
    let admitted = false
    const waiting = gate.acquire(60, never)?.then(() => {
      admitted = true
    })
    // A small message that would fit must not overtake the one waiting.
    const small = gate.acquire(1, never)
    expect(small).toBeDefined()
    await Promise.resolve()
    expect(admitted).toBe(false)
    gate.release(60)
    await waiting
    await small
    expect(gate.outstanding).toEqual({ messages: 2, bytes: 61 })
  })

  test('block: an abort while waiting frees the queue for the next', async () => {
    const gate = new PublishGate({ maxMessages: 1, maxBytes: 0, behavior: 'block' })
    gate.acquire(1, never)
    const stop = new AbortController()
    const aborted = gate.acquire(1, stop.signal)
    const next = gate.acquire(1, never)
    stop.abort(new Error('cancelled'))
    await expect(aborted).rejects.toThrow('cancelled')
    gate.release(1)
    await next
    expect(gate.outstanding.messages).toBe(1)
  })

  test('signal_error: fails a publish past the limit', () => {
    const gate = new PublishGate({ maxMessages: 1, maxBytes: 0, behavior: 'signal_error' })
    expect(gate.acquire(1, never)).toBeUndefined()
    expect(() => gate.acquire(1, never)).toThrow(/flow control limit exceeded/)
    gate.release(1)
    expect(gate.acquire(1, never)).toBeUndefined()
  })

  test('ignore: no limits at all', () => {
    const gate = new PublishGate({ maxMessages: 1, maxBytes: 1, behavior: 'ignore' })
    for (let i = 0; i < 10; i++) expect(gate.acquire(100, never)).toBeUndefined()
  })

  test('a message larger than the byte limit can never go', () => {
    const gate = new PublishGate({ maxMessages: 0, maxBytes: 10, behavior: 'block' })
    expect(() => gate.acquire(11, never)).toThrow(/exceeds flow_control.max_outstanding_bytes \(10\)/)
  })
})
