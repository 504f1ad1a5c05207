import { describe, expect, test } from 'vitest'
import { Message } from '../../message.ts'
import { batchOf, buildProcessor, memoryCache, run, texts } from './testkit.ts'

describe('dedupe', () => {
  test('FIFO keeps the first message of each key, across batches too', async () => {
    const cache = memoryCache()
    const p = await buildProcessor({ dedupe: { cache: 'c', key: '${! this.id }' } }, { caches: { c: cache } })
    const out = await run(p, batchOf('{"id":1,"v":"a"}', '{"id":2,"v":"b"}', '{"id":1,"v":"c"}'))
    expect(texts(out)).toEqual([['{"id":1,"v":"a"}', '{"id":2,"v":"b"}']])
    expect(await run(p, batchOf('{"id":2,"v":"d"}'))).toEqual([])
    expect(new TextDecoder().decode(cache.store.get('1'))).toBe('t')
  })

  test('LIFO keeps the last, in batch order', async () => {
    const p = await buildProcessor(
      { dedupe: { cache: 'c', key: '${! this.id }', strategy: 'LIFO' } },
      { caches: { c: memoryCache() } },
    )
    const out = await run(p, batchOf('{"id":1,"v":"a"}', '{"id":2,"v":"b"}', '{"id":1,"v":"c"}'))
    expect(texts(out)).toEqual([['{"id":2,"v":"b"}', '{"id":1,"v":"c"}']])
  })

  test('cache errors drop the message unless drop_on_err is false', async () => {
    const cache = memoryCache()
    cache.failWith = new Error('cache down')
    const dropping = await buildProcessor({ dedupe: { cache: 'c', key: 'k' } }, { caches: { c: cache } })
    expect(await run(dropping, batchOf('a'))).toEqual([])
    const keeping = await buildProcessor(
      { dedupe: { cache: 'c', key: 'k', drop_on_err: false } },
      { caches: { c: cache } },
    )
    const [[m]] = (await run(keeping, batchOf('a'))) as [[Message]]
    expect(m.error?.message).toBe('cache down')
  })

  test('config errors', async () => {
    await expect(buildProcessor({ dedupe: { cache: 'nope', key: 'k' } })).rejects.toThrow(
      "cache resource 'nope' was not found",
    )
    await expect(
      buildProcessor({ dedupe: { cache: 'c', key: '' } }, { caches: { c: memoryCache() } }),
    ).rejects.toThrow('dedupe key must not be empty')
  })
})

describe('cache', () => {
  test('set then get replaces the payload; delete removes', async () => {
    const cache = memoryCache()
    const caches = { c: cache }
    const set = await buildProcessor(
      { cache: { resource: 'c', operator: 'set', key: '${! this.id }', value: '${! this.v }' } },
      { caches },
    )
    const setOut = await run(set, batchOf('{"id":"a","v":"one"}'))
    expect(texts(setOut)).toEqual([['{"id":"a","v":"one"}']])
    const get = await buildProcessor(
      { cache: { resource: 'c', operator: 'get', key: '${! content() }' } },
      { caches },
    )
    expect(texts(await run(get, batchOf('a')))).toEqual([['one']])
    const del = await buildProcessor({ cache: { resource: 'c', operator: 'delete', key: 'a' } }, { caches })
    await run(del, batchOf('x'))
    expect(cache.store.has('a')).toBe(false)
    const [[missing]] = (await run(get, batchOf('a'))) as [[Message]]
    expect(missing.error?.message).toBe("operator failed for key 'a': key does not exist")
    expect(missing.text()).toBe('a')
  })

  test('add fails with key already exists; ttl must be a duration', async () => {
    const cache = memoryCache()
    const caches = { c: cache }
    const add = await buildProcessor(
      { cache: { resource: 'c', operator: 'add', key: 'k', value: 'v' } },
      { caches },
    )
    const [[first]] = (await run(add, batchOf('x'))) as [[Message]]
    expect(first.error).toBeUndefined()
    const [[second]] = (await run(add, batchOf('x'))) as [[Message]]
    expect(second.error?.message).toBe('key already exists: k')
    const badTtl = await buildProcessor(
      { cache: { resource: 'c', operator: 'set', key: 'k', value: 'v', ttl: '${! "soon" }' } },
      { caches },
    )
    const [[m]] = (await run(badTtl, [new Message('x')])) as [[Message]]
    expect(m.error?.message).toMatch(/^ttl must be a duration: /)
  })

  test('the operator is checked by the spec', async () => {
    await expect(
      buildProcessor(
        { cache: { resource: 'c', operator: 'exists', key: 'k' } },
        { caches: { c: memoryCache() } },
      ),
    ).rejects.toThrow(/"exists" is not one of set, add, get, delete/)
  })
})
