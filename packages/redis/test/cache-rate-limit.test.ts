// The `redis` cache and rate limit against the real server, directly and through a stream.

import { KeyExists, KeyNotFound } from '@bento-ts/core'
import { noTls } from '@bento-ts/core/kit'
import { eventually } from '@bento-ts/test-services'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { redisCache } from '../src/cache.ts'
import { redisRateLimit } from '../src/rate-limit.ts'
import { newCapture, redisUrl, runYaml, testClient, unique } from './helpers.ts'

let redis: Redis
const keys: string[] = []
const bytes = (text: string) => new TextEncoder().encode(text)
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const retries = { initial_interval: '50ms', max_interval: '100ms', max_elapsed_time: '300ms' }

beforeAll(() => {
  redis = testClient()
})
afterAll(async () => {
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
})

describe('redis cache', () => {
  test('get, set, add (KeyExists), delete, with the prefix on the server keys', async () => {
    const prefix = `${unique('cache')}:`
    const cache = redisCache({ url: redisUrl(), kind: 'simple', master: '', tls: noTls, prefix, retries })
    keys.push(`${prefix}a`, `${prefix}b`)
    await expect(cache.get('a')).rejects.toBeInstanceOf(KeyNotFound)
    await cache.set('a', bytes('one'))
    expect(text(await cache.get('a'))).toBe('one')
    expect(await redis.get(`${prefix}a`)).toBe('one')
    expect(await redis.pttl(`${prefix}a`)).toBe(-1)
    await expect(cache.add('a', bytes('two'))).rejects.toBeInstanceOf(KeyExists)
    expect(text(await cache.get('a'))).toBe('one')
    await cache.add('b', bytes('\u0000binary\u00ff'))
    expect(text(await cache.get('b'))).toBe('\u0000binary\u00ff')
    await cache.set('a', bytes('three'))
    expect(text(await cache.get('a'))).toBe('three')
    await cache.delete('a')
    await expect(cache.get('a')).rejects.toBeInstanceOf(KeyNotFound)
    await cache.delete('never-there')
    await cache.close?.()
  })

  test('TTLs: per call, else default_ttl', async () => {
    const prefix = `${unique('ttl')}:`
    keys.push(`${prefix}x`, `${prefix}y`)
    const cache = redisCache({
      url: redisUrl(),
      kind: 'simple',
      master: '',
      tls: noTls,
      prefix,
      default_ttl: '1h',
      retries,
    })
    await cache.set('x', bytes('1'))
    const ttl = await redis.pttl(`${prefix}x`)
    expect(ttl).toBeGreaterThan(3_500_000)
    expect(ttl).toBeLessThanOrEqual(3_600_000)
    await cache.add('y', bytes('2'), 300)
    expect(await redis.pttl(`${prefix}y`)).toBeLessThanOrEqual(300)
    await eventually(async () => ((await redis.exists(`${prefix}y`)) === 0 ? true : undefined), {
      timeoutMs: 5000,
    })
    await expect(cache.get('y')).rejects.toBeInstanceOf(KeyNotFound)
    await cache.close?.()
  })

  test('an unreachable server fails after the retries, naming the operation', async () => {
    const cache = redisCache({ url: 'redis://127.0.0.1:1', kind: 'simple', master: '', tls: noTls, retries })
    await expect(cache.get('k')).rejects.toThrow(/redis cache get/)
    await cache.close?.()
  })

  test('as a stream resource: the cache processor and dedupe use it', async () => {
    const prefix = `${unique('res')}:`
    for (const k of ['k1', 'k2', 'k3']) keys.push(`${prefix}${k}`)
    const capture = newCapture()
    const run = await runYaml(
      `
input:
  generate:
    count: 6
    interval: ""
    mapping: |
      root = {"k": "k" + ((counter() - 1) % 3 + 1).string()}
pipeline:
  processors:
    - dedupe:
        cache: shared
        key: \${! this.k }
output:
  capture: ${capture.name}
cache_resources:
  - label: shared
    redis:
      url: ${redisUrl()}
      prefix: "${prefix}"
`,
    )
    await run.done
    expect(capture.messages.map((m) => (m.structured() as { k: string }).k)).toEqual(['k1', 'k2', 'k3'])
    expect(await redis.exists(`${prefix}k1`, `${prefix}k2`, `${prefix}k3`)).toBe(3)
  })
})

describe('redis rate limit', () => {
  test('allows count accesses per interval across instances, then says how long to wait', async () => {
    const key = unique('rl')
    keys.push(key)
    const config = {
      url: redisUrl(),
      kind: 'simple' as const,
      master: '',
      tls: noTls,
      count: 3,
      interval: '2s',
      key,
    }
    const a = redisRateLimit(config)
    const b = redisRateLimit(config)
    expect(await a.access()).toBe(0)
    expect(await b.access()).toBe(0)
    expect(await a.access()).toBe(0)
    const wait = await b.access()
    expect(wait).toBeGreaterThan(0)
    expect(wait).toBeLessThanOrEqual(2000)
    // The window ends: the counter's key expires and the next access starts a new one.
    await eventually(async () => ((await redis.exists(key)) === 0 ? true : undefined), { timeoutMs: 5000 })
    expect(await a.access()).toBe(0)
    await a.close?.()
    await b.close?.()
  })

  test('refuses a count of zero', () => {
    expect(() =>
      redisRateLimit({
        url: redisUrl(),
        kind: 'simple',
        master: '',
        tls: noTls,
        count: 0,
        interval: '1s',
        key: 'k',
      }),
    ).toThrow(/count must be larger than zero/)
  })
})
