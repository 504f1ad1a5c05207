import { describe, expect, test } from 'vitest'
import { goDuration } from '../../duration.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

describe('while', () => {
  test('loops while the check holds', async () => {
    const p = await buildProcessor({
      while: { check: 'this.n < 3', processors: [{ mapping: 'root.n = this.n + 1' }] },
    })
    expect(texts(await run(p, batchOf('{"n":0}')))).toEqual([['{"n":3}']])
    expect(texts(await run(p, batchOf('{"n":5}')))).toEqual([['{"n":5}']])
  })

  test('at_least_once runs before the first check; max_loops caps the loops', async () => {
    const once = await buildProcessor({
      while: { at_least_once: true, check: 'false', processors: [{ mapping: 'root.n = this.n + 1' }] },
    })
    expect(texts(await run(once, batchOf('{"n":5}')))).toEqual([['{"n":6}']])
    const capped = await buildProcessor({
      while: { max_loops: 2, check: 'true', processors: [{ mapping: 'root.n = this.n + 1' }] },
    })
    expect(texts(await run(capped, batchOf('{"n":0}')))).toEqual([['{"n":2}']])
  })

  test('a failing check ends the loop; a check is required', async () => {
    const p = await buildProcessor({ while: { check: 'this.n < 3', processors: [{ noop: {} }] } })
    expect(texts(await run(p, batchOf('nope')))).toEqual([['nope']])
    await expect(buildProcessor({ while: { processors: [{ noop: {} }] } })).rejects.toThrow(
      'a check query is required',
    )
  })

  test('the loop ends when no messages are left', async () => {
    const p = await buildProcessor({
      while: { check: 'true', processors: [{ mapping: 'root = deleted()' }] },
    })
    expect(await run(p, batchOf('x'))).toEqual([])
  })
})

describe('retry', () => {
  test('re-runs children on the original message until they succeed, recording the attempts', async () => {
    const p = await buildProcessor({
      retry: {
        backoff: { initial_interval: '1ms', max_interval: '2ms' },
        processors: [
          { mutation: 'root.seen = (this.seen | 0) + 1' },
          { mapping: 'root = if counter() < 3 { throw("not yet") } else { this }' },
        ],
      },
    })
    const out = await run(p, batchOf('{"id":1}'))
    expect(texts(out)).toEqual([['{"id":1,"seen":1}']])
    const m = out[0]![0]!
    expect(m.error).toBeUndefined()
    expect(m.metadata.get('retry_count')).toBe(2)
    expect(typeof m.metadata.get('backoff_duration')).toBe('string')
  }, 10_000)

  test('max_retries stops retrying and lets the failure through; entry errors are cleared', async () => {
    const p = await buildProcessor({
      retry: {
        max_retries: 3,
        backoff: { initial_interval: '1ms' },
        processors: [{ mapping: 'root = throw("always")' }],
      },
    })
    const batch = batchOf('a')
    batch[0]!.error = new Error('from before')
    const [[m]] = (await run(p, batch)) as [[import('../../message.ts').Message]]
    expect(m.error?.message).toBe('failed assignment (line 1): always')
    expect(m.metadata.get('retry_count')).toBe(3)
  })

  test('needs children; Go duration strings', async () => {
    await expect(buildProcessor({ retry: { processors: [] } })).rejects.toThrow(
      'at least one child processor must be specified',
    )
    expect([
      goDuration(0),
      goDuration(1.5),
      goDuration(1500),
      goDuration(90_000),
      goDuration(3_600_000),
    ]).toEqual(['0s', '1.5ms', '1.5s', '1m30s', '1h0m0s'])
  })
})
