import { describe, expect, test } from 'vitest'
import { batchOf, buildProcessor, memoryCache, run, texts } from './testkit.ts'

describe('cached', () => {
  test('runs the processors once per key and serves the cached result after; a failed result is not stored', async () => {
    const cache = memoryCache()
    const p = await buildProcessor(
      {
        cached: {
          cache: 'c',
          key: '${! this.k }',
          processors: [
            { mapping: 'root = if this.k == "bad" { throw("no") } else { {"k": this.k, "n": counter()} }' },
          ],
        },
      },
      { caches: { c: cache } },
    )
    const out = await run(p, batchOf('{"k":"a"}', '{"k":"b"}', '{"k":"a"}', '{"k":"bad"}', '{"k":"bad"}'))
    expect(texts(out)).toEqual([
      ['{"k":"a","n":1}', '{"k":"b","n":2}', '{"k":"a","n":1}', '{"k":"bad"}', '{"k":"bad"}'],
    ])
    expect(out[0]![3]!.error?.message).toContain('no')
    expect([...cache.store.keys()].sort()).toEqual(['a', 'b'])
  })

  test('skip_on keeps a result out of the cache', async () => {
    const cache = memoryCache()
    const p = await buildProcessor(
      {
        cached: {
          cache: 'c',
          key: 'k',
          skip_on: 'this.n < 2',
          processors: [{ mapping: 'root.n = counter()' }],
        },
      },
      { caches: { c: cache } },
    )
    expect(texts(await run(p, batchOf('{}', '{}', '{}')))).toEqual([['{"n":1}', '{"n":2}', '{"n":2}']])
  })
})
