// `redis` cache: GET/SET/SET NX/DEL on keys with an optional prefix and TTL. A failed command is
// retried with backoff (`retries`); a missing key or an existing one (`add`) is an answer, not a
// failure. The cache skeleton connects on first use and again after the link broke.

import { setTimeout as sleep } from 'node:timers/promises'
import { type Cache, type ConfigOf, field, KeyExists, KeyNotFound, parseDuration } from '@bento-ts/core'
import { cacheSkeleton, defineCache, exponentialBackoff } from '@bento-ts/core/kit'
import { asBuffer, commandError, connectClient, redisClientFactory, redisClientFields } from './client.ts'

const fields = [
  ...redisClientFields,
  field.string('prefix', {
    optional: true,
    description:
      'An optional string to prefix item keys with in order to prevent collisions with similar services.',
  }),
  field.duration('default_ttl', {
    optional: true,
    advanced: true,
    description: 'An optional default TTL to set for items, calculated from the moment the item is cached.',
  }),
  field.object(
    'retries',
    [
      field.duration('initial_interval', {
        default: '500ms',
        description: 'The initial period to wait between retry attempts.',
      }),
      field.duration('max_interval', {
        default: '1s',
        description: 'The maximum period to wait between retry attempts.',
      }),
      field.duration('max_elapsed_time', {
        default: '5s',
        description:
          'The maximum period to wait before retry attempts are abandoned. If zero then no limit is used.',
      }),
    ],
    {
      default: { initial_interval: '500ms', max_interval: '1s', max_elapsed_time: '5s' },
      advanced: true,
      description: 'Determine time intervals and cut offs for retry attempts.',
    },
  ),
] as const

export type RedisCacheConfig = ConfigOf<typeof fields>

const ms = (text: string): number => (text === '' ? 0 : parseDuration(text))

export function redisCache(c: RedisCacheConfig, label = 'redis'): Cache {
  const makeClient = redisClientFactory(c)
  const prefix = c.prefix ?? ''
  const defaultTtlMs = c.default_ttl === undefined ? 0 : ms(c.default_ttl)
  const backoff = {
    initialMs: ms(c.retries.initial_interval),
    maxMs: ms(c.retries.max_interval),
    maxElapsedMs: ms(c.retries.max_elapsed_time),
    maxRetries: 0,
  }
  let closed = false

  /** A command's failure: a broken link is NotConnected, so the skeleton connects again. */
  const command = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (err) {
      throw commandError(err, what)
    }
  }
  const ttlArgs = (ttlMs: number | undefined): (string | number)[] => {
    const t = ttlMs ?? defaultTtlMs
    return t > 0 ? ['PX', Math.max(1, Math.round(t))] : []
  }

  const cache = cacheSkeleton({
    async connect() {
      const client = makeClient({ name: `${label}-cache` })
      await connectClient(client)
      return client
    },
    async get(r, key) {
      const value = await command('get', () => r.getBuffer(prefix + key))
      if (value === null) throw new KeyNotFound(key)
      return value
    },
    async set(r, key, value, ttlMs) {
      await command('set', () => r.call('SET', prefix + key, asBuffer(value), ...ttlArgs(ttlMs)))
    },
    async add(r, key, value, ttlMs) {
      const reply = await command('add', () =>
        r.call('SET', prefix + key, asBuffer(value), 'NX', ...ttlArgs(ttlMs)),
      )
      if (reply === null) throw new KeyExists(key)
    },
    async delete(r, key) {
      await command('delete', () => r.del(prefix + key))
    },
    async disconnect(r) {
      r.disconnect()
    },
  })

  /** Runs the operation, retrying failures with the configured backoff until it gives up. */
  const attempt = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    const next = exponentialBackoff(backoff)
    for (;;) {
      if (closed) throw new Error(`redis cache ${what}: closed`)
      try {
        return await op()
      } catch (err) {
        if (err instanceof KeyNotFound || err instanceof KeyExists) throw err
        const wait = next()
        if (wait === undefined || closed) throw new Error(`redis cache ${what}: ${(err as Error).message}`)
        await sleep(wait)
      }
    }
  }

  return {
    get: (key) => attempt('get', () => cache.get(key)),
    set: (key, value, ttlMs) => attempt('set', () => cache.set(key, value, ttlMs)),
    add: (key, value, ttlMs) => attempt('add', () => cache.add(key, value, ttlMs)),
    delete: (key) => attempt('delete', () => cache.delete(key)),
    async close() {
      closed = true
      await cache.close?.()
    },
  }
}

export const redisCachePlugin = defineCache({
  name: 'redis',
  status: 'stable',
  summary:
    'Use a Redis instance as a cache. The expiration can be set to zero or an empty string in order to set no expiration.',
  fields,
  create: (config, context) => redisCache(config, context.label),
})
