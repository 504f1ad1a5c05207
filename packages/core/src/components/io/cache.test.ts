import { describe, expect, test } from 'vitest'
import { KeyExists, KeyNotFound } from '../../component.ts'
import {
  lruCache,
  lruCachePlugin,
  memoryCache,
  memoryCachePlugin,
  ttlruCache,
  ttlruCachePlugin,
} from './cache.ts'
import { fakeContext } from './testkit.ts'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

function clock(start = 1000) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

describe('memory cache', () => {
  test('an item expires default_ttl after it was set; init_values never do', async () => {
    const c = clock()
    const cache = memoryCache(
      { defaultTtlMs: 100, compactionIntervalMs: 1000, shards: 1, initValues: { fixed: 'forever' } },
      c.now,
    )
    await cache.set('k', bytes('v'))
    c.advance(100)
    expect(text(await cache.get('k'))).toBe('v')
    c.advance(1)
    await expect(cache.get('k')).rejects.toBeInstanceOf(KeyNotFound)
    c.advance(1_000_000)
    expect(text(await cache.get('fixed'))).toBe('forever')
  })

  test('a ttl given to set overrides the default', async () => {
    const c = clock()
    const cache = memoryCache(
      { defaultTtlMs: 100, compactionIntervalMs: 10, shards: 1, initValues: {} },
      c.now,
    )
    await cache.set('k', bytes('v'), 1000)
    c.advance(500)
    expect(text(await cache.get('k'))).toBe('v')
  })

  test('add fails on an existing key, even an expired one not yet compacted, as in Bento', async () => {
    const c = clock()
    const cache = memoryCache(
      { defaultTtlMs: 10, compactionIntervalMs: 1000, shards: 1, initValues: {} },
      c.now,
    )
    await cache.add('k', bytes('1'))
    await expect(cache.add('k', bytes('2'))).rejects.toBeInstanceOf(KeyExists)
    c.advance(20)
    await expect(cache.add('k', bytes('3'))).rejects.toThrow('key already exists: k')
    // A write after the compaction interval removes expired items.
    c.advance(1000)
    await cache.set('other', bytes('x'))
    await cache.add('k', bytes('4'))
    expect(text(await cache.get('k'))).toBe('4')
  })

  test('without a compaction interval nothing expires; delete removes; shards keep keys apart', async () => {
    const c = clock()
    const cache = memoryCache({ defaultTtlMs: 1, compactionIntervalMs: 0, shards: 4, initValues: {} }, c.now)
    for (const k of ['a', 'b', 'c', 'd', 'e']) await cache.set(k, bytes(k))
    c.advance(1000)
    for (const k of ['a', 'b', 'c', 'd', 'e']) expect(text(await cache.get(k))).toBe(k)
    await cache.delete('c')
    await expect(cache.get('c')).rejects.toThrow('key does not exist: c')
  })

  test('the plugin reads Bento durations and an empty compaction interval', async () => {
    const cache = await memoryCachePlugin.create(
      { default_ttl: '5m', compaction_interval: '', init_values: { a: 'b' }, shards: 1 },
      fakeContext(),
    )
    expect(text(await cache.get('a'))).toBe('b')
  })
})

describe('lru cache', () => {
  test('evicts the least recently used beyond cap; get refreshes, add does not', async () => {
    const cache = lruCache({ cap: 2, algorithm: 'standard', initValues: {} })
    await cache.set('a', bytes('1'))
    await cache.set('b', bytes('2'))
    await cache.get('a')
    await cache.set('c', bytes('3'))
    await expect(cache.get('b')).rejects.toBeInstanceOf(KeyNotFound)
    expect(text(await cache.get('a'))).toBe('1')
    await expect(cache.add('a', bytes('x'))).rejects.toBeInstanceOf(KeyExists)
    await cache.delete('a')
    await cache.add('a', bytes('y'))
    expect(text(await cache.get('a'))).toBe('y')
  })

  test('init_values and errors', async () => {
    const cache = await lruCachePlugin.create(
      {
        cap: 10,
        init_values: { x: 'y' },
        algorithm: 'standard',
        two_queues_recent_ratio: 0.25,
        two_queues_ghost_ratio: 0.5,
        optimistic: false,
      },
      fakeContext(),
    )
    expect(text(await cache.get('x'))).toBe('y')
    expect(() => lruCache({ cap: 0, algorithm: 'standard', initValues: {} })).toThrow(
      'invalid lru cache parameter capacity: must be bigger than 0',
    )
  })
})

describe('ttlru cache', () => {
  test('entries live default_ttl from their last set; a get does not extend it', async () => {
    const c = clock()
    const cache = ttlruCache({ cap: 10, defaultTtlMs: 100, initValues: {} }, c.now)
    await cache.set('k', bytes('v'))
    c.advance(60)
    expect(text(await cache.get('k'))).toBe('v')
    c.advance(41)
    await expect(cache.get('k')).rejects.toBeInstanceOf(KeyNotFound)
    // Expired entries do not block add.
    await cache.add('k', bytes('again'))
    c.advance(50)
    await cache.set('k', bytes('renewed'))
    c.advance(80)
    expect(text(await cache.get('k'))).toBe('renewed')
  })

  test('cap evicts the least recently used', async () => {
    const c = clock()
    const cache = ttlruCache({ cap: 2, defaultTtlMs: 1000, initValues: { a: '1' } }, c.now)
    await cache.set('b', bytes('2'))
    await cache.set('c', bytes('3'))
    await expect(cache.get('a')).rejects.toBeInstanceOf(KeyNotFound)
  })

  test('the deprecated ttl field wins over default_ttl; bad settings are rejected', async () => {
    const cache = await ttlruCachePlugin.create(
      { cap: 5, default_ttl: '5m0s', ttl: '1h', init_values: {}, optimistic: false },
      fakeContext(),
    )
    await cache.set('a', bytes('b'))
    expect(text(await cache.get('a'))).toBe('b')
    expect(() => ttlruCache({ cap: 1, defaultTtlMs: 0, initValues: {} })).toThrow(
      'invalid ttlru cache parameter default_ttl: must be bigger than 0s',
    )
  })
})
