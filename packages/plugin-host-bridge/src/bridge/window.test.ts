import { describe, expect, it } from 'vitest'
import { deliveryWindow, WindowFull } from './window.ts'

const gate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

describe('deliveryWindow', () => {
  it('isolates subscriptions: a stalled one does not hold up another', async () => {
    const stalled = deliveryWindow({
      maxInFlight: 2,
      queueSize: 10,
      delivery: 'at_least_once',
      backpressureTimeoutMs: 0,
    })
    const fast = deliveryWindow({
      maxInFlight: 2,
      queueSize: 10,
      delivery: 'at_least_once',
      backpressureTimeoutMs: 0,
    })
    const stuck = gate()
    const held = Array.from({ length: 5 }, () => stalled.run(() => stuck.opened))
    let delivered = 0
    for (let i = 0; i < 1000; i++) await fast.run(async () => void delivered++)
    expect(delivered).toBe(1000)
    expect(stalled.inFlight).toBe(2)
    expect(stalled.waiting).toBe(3)
    stuck.open()
    expect(await Promise.all(held)).toEqual(Array(5).fill('delivered'))
  })

  it('at_least_once: a full window makes callers wait, never drops, bounded in flight', async () => {
    const w = deliveryWindow({
      maxInFlight: 3,
      queueSize: 0,
      delivery: 'at_least_once',
      backpressureTimeoutMs: 0,
    })
    const stuck = gate()
    let running = 0
    let peak = 0
    const done: number[] = []
    const calls = Array.from({ length: 50 }, (_, i) =>
      w.run(async () => {
        running++
        peak = Math.max(peak, running)
        await stuck.opened
        running--
        done.push(i)
      }),
    )
    await new Promise((r) => setTimeout(r, 20))
    expect(running).toBe(3)
    expect(w.waiting).toBe(47)
    stuck.open()
    expect(await Promise.all(calls)).toEqual(Array(50).fill('delivered'))
    expect(peak).toBe(3)
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(w.dropped).toBe(0)
  })

  it('at_least_once: a caller that waited too long gets a retryable error, the others go on', async () => {
    const w = deliveryWindow(
      { maxInFlight: 1, queueSize: 0, delivery: 'at_least_once', backpressureTimeoutMs: 30 },
      'bento.output "slow"',
    )
    const stuck = gate()
    const first = w.run(() => stuck.opened)
    const second = w.run(async () => {})
    await expect(second).rejects.toBeInstanceOf(WindowFull)
    await expect(second).rejects.toThrow('bento.output "slow": no room for 30 ms')
    expect(w.waiting).toBe(0)
    stuck.open()
    expect(await first).toBe('delivered')
    expect(await w.run(async () => {})).toBe('delivered')
  })

  it('best_effort: drops past the queue, counts the drops, delivers the rest', async () => {
    const w = deliveryWindow({
      maxInFlight: 1,
      queueSize: 2,
      delivery: 'best_effort',
      backpressureTimeoutMs: 0,
    })
    const stuck = gate()
    const results = Array.from({ length: 10 }, () => w.run(() => stuck.opened))
    stuck.open()
    const outcomes = await Promise.all(results)
    expect(outcomes.filter((o) => o === 'delivered')).toHaveLength(3)
    expect(outcomes.filter((o) => o === 'dropped')).toHaveLength(7)
    expect(w.dropped).toBe(7)
  })
})
