import { describe, expect, it } from 'vitest'
import { createLanes, laneOf } from './lanes.ts'

/** A clock and sleep the test moves by hand. */
function fakeTime(start = 1_000_000) {
  let now = start
  const sleepers: { until: number; resolve: () => void; reject: (e: unknown) => void }[] = []
  return {
    now: () => now,
    sleeps: [] as number[],
    sleep(ms: number, signal: AbortSignal) {
      this.sleeps.push(ms)
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        sleepers.push({ until: now + ms, resolve, reject })
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
    },
    async advance(ms: number) {
      now += ms
      for (const s of [...sleepers]) {
        if (s.until <= now) {
          sleepers.splice(sleepers.indexOf(s), 1)
          s.resolve()
        }
      }
      for (let i = 0; i < 10; i++) await Promise.resolve()
    },
  }
}

const tick = () => new Promise((r) => setImmediate(r))

describe('lanes', () => {
  it('keeps each foreign id in order under parallel: 8 while entities interleave', async () => {
    const seen = new Map<string, number[]>()
    let running = 0
    let peak = 0
    const lanes = createLanes<{ entity: string; seq: number }>(
      { parallel: 8, errorBackoffMs: 0, consumeLagMs: 0, lagAlertMs: 0 },
      async ({ entity, seq }) => {
        running++
        peak = Math.max(peak, running)
        await new Promise((r) => setTimeout(r, Math.random() * 3))
        running--
        seen.set(entity, [...(seen.get(entity) ?? []), seq])
      },
    )
    const all: Promise<void>[] = []
    for (let seq = 0; seq < 20; seq++) {
      for (let e = 0; e < 32; e++)
        all.push(lanes.submit(`entity-${e}`, Date.now(), { entity: `entity-${e}`, seq }))
    }
    await Promise.all(all)
    for (const order of seen.values()) expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(seen.size).toBe(32)
    expect(peak).toBeGreaterThan(1)
    expect(peak).toBeLessThanOrEqual(8)
    lanes.close()
  })

  it('spreads keys over every lane', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => laneOf(`order-${i}`, 8)))
    expect(used.size).toBe(8)
  })

  it('retries a failed delivery after error_backoff, in place, until it succeeds', async () => {
    const t = fakeTime()
    let attempts = 0
    const order: string[] = []
    const lanes = createLanes<string>(
      {
        parallel: 1,
        errorBackoffMs: 2000,
        consumeLagMs: 0,
        lagAlertMs: 0,
        now: t.now,
        sleep: t.sleep.bind(t),
      },
      async (item) => {
        if (item === 'a' && ++attempts < 3) throw new Error('host said no')
        order.push(item)
      },
    )
    const a = lanes.submit('k', t.now(), 'a')
    const b = lanes.submit('k', t.now(), 'b')
    await tick()
    expect(order).toEqual([])
    expect(t.sleeps).toEqual([2000])
    await t.advance(1999)
    expect(attempts).toBe(1)
    await t.advance(1)
    await tick()
    expect(attempts).toBe(2)
    await t.advance(2000)
    await Promise.all([a, b])
    expect(order).toEqual(['a', 'b'])
    expect(t.sleeps).toEqual([2000, 2000])
    lanes.close()
  })

  it("without error_backoff a failure is the caller's (the source redelivers)", async () => {
    const lanes = createLanes<string>(
      { parallel: 1, errorBackoffMs: 0, consumeLagMs: 0, lagAlertMs: 0 },
      async () => {
        throw new Error('nope')
      },
    )
    await expect(lanes.submit('k', Date.now(), 'x')).rejects.toThrow('nope')
    lanes.close()
  })

  it('holds each event until it is consume_lag old', async () => {
    const t = fakeTime()
    const delivered: string[] = []
    const lanes = createLanes<string>(
      {
        parallel: 2,
        errorBackoffMs: 0,
        consumeLagMs: 5000,
        lagAlertMs: 0,
        now: t.now,
        sleep: t.sleep.bind(t),
      },
      async (item) => void delivered.push(item),
    )
    const old = lanes.submit('a', t.now() - 6000, 'old')
    const fresh = lanes.submit('b', t.now() - 1000, 'fresh')
    await old
    expect(delivered).toEqual(['old'])
    expect(t.sleeps).toEqual([4000])
    await t.advance(3999)
    expect(delivered).toEqual(['old'])
    await t.advance(1)
    await fresh
    expect(delivered).toEqual(['old', 'fresh'])
    lanes.close()
  })

  it('alerts once when the oldest undelivered event passes lag_alert, and re-arms', async () => {
    const t = fakeTime()
    const alerts: number[] = []
    const lags: number[] = []
    let release!: () => void
    const lanes = createLanes<string>(
      {
        parallel: 1,
        errorBackoffMs: 0,
        consumeLagMs: 0,
        lagAlertMs: 10_000,
        now: t.now,
        sleep: t.sleep.bind(t),
        onLagAlert: (age) => alerts.push(age),
        onLag: (age) => lags.push(age),
      },
      (item) => (item === 'slow' ? new Promise<void>((r) => (release = r)) : Promise.resolve()),
    )
    const slow = lanes.submit('k', t.now(), 'slow')
    await tick()
    await t.advance(5000)
    expect(lanes.checkLag()).toBe(5000)
    expect(alerts).toEqual([])
    await t.advance(6000)
    lanes.checkLag()
    lanes.checkLag()
    expect(alerts).toEqual([11_000])
    release()
    await slow
    expect(lanes.checkLag()).toBe(0)
    expect(lags.at(-1)).toBe(0)
    lanes.close()
  })

  it('close cancels retries and queued deliveries (the source gets them back)', async () => {
    const lanes = createLanes<string>(
      { parallel: 1, errorBackoffMs: 60_000, consumeLagMs: 0, lagAlertMs: 0 },
      async () => {
        throw new Error('down')
      },
    )
    const a = lanes.submit('k', Date.now(), 'a')
    const b = lanes.submit('k', Date.now(), 'b')
    await tick()
    lanes.close()
    await expect(a).rejects.toThrow('stopping')
    await expect(b).rejects.toThrow('stopping')
  })
})
