import { describe, expect, test } from 'vitest'
import type { RateLimit } from '../../component.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

describe('rate_limit', () => {
  test('waits as long as the resource says, once per message', async () => {
    let calls = 0
    const limit: RateLimit = { access: async () => (calls++ % 2 === 0 ? 5 : 0) }
    const p = await buildProcessor({ rate_limit: { resource: 'rl' } }, { rateLimits: { rl: limit } })
    const started = Date.now()
    expect(texts(await run(p, batchOf('a', 'b')))).toEqual([['a', 'b']])
    expect(calls).toBe(4)
    expect(Date.now() - started).toBeGreaterThanOrEqual(8)
    await expect(buildProcessor({ rate_limit: { resource: 'nope' } })).rejects.toThrow(
      "rate limit resource 'nope' was not found",
    )
  })
})

describe('sleep', () => {
  test('sleeps the interpolated duration per message; bad durations are skipped', async () => {
    const p = await buildProcessor({ sleep: { duration: '${! this.ms }ms' } })
    const started = Date.now()
    const out = await run(p, batchOf('{"ms":10}', '{"ms":"x"}', '{"ms":0}'))
    expect(texts(out)).toEqual([['{"ms":10}', '{"ms":"x"}', '{"ms":0}']])
    expect(Date.now() - started).toBeGreaterThanOrEqual(9)
  })

  test('close interrupts a sleep', async () => {
    const p = await buildProcessor({ sleep: { duration: '10s' } })
    const pending = run(p, batchOf('a'))
    await p.close?.()
    await expect(pending).rejects.toThrow('processor stopped')
  })
})
