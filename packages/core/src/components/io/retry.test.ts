import { describe, expect, test } from 'vitest'
import { goDuration } from '../../duration.ts'
import { silentLogger } from '../../logger.ts'
import { Message } from '../../message.ts'
import { exponentialBackoff } from './channel.ts'
import { backoffFromConfig, RetryingOutput, retryOutputPlugin } from './retry.ts'
import { child, fakeContext, never, recordingOutput } from './testkit.ts'

describe('exponential backoff (cenkalti/backoff as Bento sets it up)', () => {
  test('grows 1.5x up to the maximum; with no randomness the waits are exact', () => {
    const next = exponentialBackoff({
      initialMs: 500,
      maxMs: 3000,
      maxElapsedMs: 0,
      maxRetries: 0,
      randomization: 0,
    })
    expect(Array.from({ length: 7 }, () => next())).toEqual([500, 750, 1125, 1687.5, 2531.25, 3000, 3000])
  })

  test('randomised waits stay within ±50 % of the interval', () => {
    const low = exponentialBackoff({
      initialMs: 100,
      maxMs: 1000,
      maxElapsedMs: 0,
      maxRetries: 0,
      random: () => 0,
    })
    const high = exponentialBackoff({
      initialMs: 100,
      maxMs: 1000,
      maxElapsedMs: 0,
      maxRetries: 0,
      random: () => 1,
    })
    expect(low()).toBe(50)
    expect(high()).toBe(150)
  })

  test('max_retries hands out that many waits, then gives up', () => {
    const next = exponentialBackoff({ initialMs: 1, maxMs: 1, maxElapsedMs: 0, maxRetries: 3 })
    expect([next(), next(), next()].every((w) => w !== undefined)).toBe(true)
    expect(next()).toBeUndefined()
  })

  test('max_elapsed_time gives up once the next wait would end past it', () => {
    let now = 0
    const next = exponentialBackoff({
      initialMs: 100,
      maxMs: 100,
      maxElapsedMs: 250,
      maxRetries: 0,
      randomization: 0,
      now: () => now,
    })
    expect(next()).toBe(100)
    now = 100
    expect(next()).toBe(100)
    now = 200
    expect(next()).toBeUndefined()
  })

  test('Go duration strings', () => {
    expect(goDuration(20)).toBe('20ms')
    expect(goDuration(1500)).toBe('1.5s')
    expect(goDuration(90_000)).toBe('1m30s')
    expect(goDuration(3_600_000)).toBe('1h0m0s')
  })
})

describe('retry output', () => {
  const fast = backoffFromConfig({
    max_retries: 0,
    backoff: { initial_interval: '1ms', max_interval: '2ms', max_elapsed_time: '0s' },
  })

  test('retries a failed write until it succeeds, the write as a whole succeeding', async () => {
    const rec = recordingOutput({ failFirst: 4 })
    const out = new RetryingOutput(rec.output, fast, silentLogger)
    await out.write([new Message('x')], never)
    expect(rec.attempts()).toBe(5)
    expect(rec.messages()).toEqual(['x'])
  })

  test("gives up after max_retries retries with Bento's error", async () => {
    const rec = recordingOutput({ failAlways: 'down' })
    const out = new RetryingOutput(
      rec.output,
      backoffFromConfig({
        max_retries: 2,
        backoff: { initial_interval: '1ms', max_interval: '1ms', max_elapsed_time: '' },
      }),
      silentLogger,
    )
    await expect(out.write([new Message('x')], never)).rejects.toThrow(
      'message failed to reach a target destination',
    )
    expect(rec.attempts()).toBe(3)
  })

  test('new writes wait while one is retrying', async () => {
    const order: string[] = []
    let failures = 3
    const out = new RetryingOutput(
      {
        connect: async () => {},
        close: async () => {},
        async write(batch) {
          const id = batch[0]!.text()
          if (id === 'first' && failures-- > 0) {
            order.push('first:fail')
            throw new Error('nope')
          }
          order.push(id)
        },
      },
      backoffFromConfig({
        max_retries: 0,
        backoff: { initial_interval: '20ms', max_interval: '20ms', max_elapsed_time: '0s' },
      }),
      silentLogger,
    )
    const first = out.write([new Message('first')], never)
    await new Promise((r) => setTimeout(r, 5))
    const second = out.write([new Message('second')], never)
    await Promise.all([first, second])
    expect(order).toEqual(['first:fail', 'first:fail', 'first:fail', 'first', 'second'])
  })

  test('an aborted retry loop stops at once', async () => {
    const rec = recordingOutput({ failAlways: 'down' })
    const out = new RetryingOutput(rec.output, fast, silentLogger)
    const controller = new AbortController()
    const writing = out.write([new Message('x')], controller.signal)
    await new Promise((r) => setTimeout(r, 20))
    controller.abort()
    await expect(writing).rejects.toThrow()
    const attempts = rec.attempts()
    await new Promise((r) => setTimeout(r, 20))
    expect(rec.attempts()).toBe(attempts)
  })

  test('the plugin wraps its child output', async () => {
    const rec = recordingOutput({ failFirst: 1 })
    const out = await retryOutputPlugin.create(
      {
        max_retries: 0,
        backoff: { initial_interval: '1ms', max_interval: '1ms', max_elapsed_time: '0s' },
        output: child('inner'),
      },
      fakeContext({ outputs: { inner: rec.output } }),
    )
    await out.write([new Message('x')], never)
    expect(rec.attempts()).toBe(2)
  })
})
