// `redis` cache: GET/SET/SET NX/DEL on keys with an optional prefix and TTL. A failed command is
// retried with backoff (`retries`); a missing key or an existing one (`add`) is an answer, not a
// failure. The client connects on first use and again after the link broke.

import { setTimeout as sleep } from 'node:timers/promises'
import { type Cache, field, KeyExists, KeyNotFound, type Plugin, parseDuration } from '@bento-ts/core'
import { exponentialBackoff } from '@bento-ts/core/kit'
import {
  asBuffer,
  connectClient,
  type RedisClient,
  type RedisConfig,
  redisClientFactory,
  redisClientFields,
} from './client.ts'

export interface RedisCacheConfig extends RedisConfig {
  prefix?: string
  default_ttl?: string
  retries: { initial_interval: string; max_interval: string; max_elapsed_time: string }
}

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
  let client: Promise<RedisClient> | undefined
  let closed = false

  const connected = (): Promise<RedisClient> => {
    if (closed) return Promise.reject(new Error('redis cache: closed'))
    client ??= (async () => {
      const r = makeClient({ name: `${label}-cache` })
      try {
        await connectClient(r)
      } catch (err) {
        client = undefined
        throw err
      }
      r.once('close', () => {
        if (client !== undefined) client = undefined
      })
      return r
    })()
    return client
  }

  /** Runs the command, retrying failures with the configured backoff until it gives up. */
  const attempt = async <T>(what: string, command: (r: RedisClient) => Promise<T>): Promise<T> => {
    const next = exponentialBackoff(backoff)
    for (;;) {
      try {
        return await command(await connected())
      } catch (err) {
        const wait = next()
        if (wait === undefined || closed) throw new Error(`redis cache ${what}: ${(err as Error).message}`)
        await sleep(wait)
      }
    }
  }

  const ttlArgs = (ttlMs: number | undefined): (string | number)[] => {
    const t = ttlMs ?? defaultTtlMs
    return t > 0 ? ['PX', Math.max(1, Math.round(t))] : []
  }

  return {
    async get(key) {
      const value = await attempt('get', (r) => r.getBuffer(prefix + key))
      if (value === null) throw new KeyNotFound(key)
      return value
    },
    async set(key, value, ttlMs) {
      await attempt('set', (r) => r.call('SET', prefix + key, asBuffer(value), ...ttlArgs(ttlMs)))
    },
    async add(key, value, ttlMs) {
      const reply = await attempt('add', (r) =>
        r.call('SET', prefix + key, asBuffer(value), 'NX', ...ttlArgs(ttlMs)),
      )
      if (reply === null) throw new KeyExists(key)
    },
    async delete(key) {
      await attempt('delete', (r) => r.del(prefix + key))
    },
    async close() {
      closed = true
      const r = client
      client = undefined
      if (r !== undefined) (await r.catch(() => undefined))?.disconnect()
    },
  }
}

export const redisCachePlugin: Plugin<'cache'> = {
  spec: {
    name: 'redis',
    kind: 'cache',
    status: 'stable',
    summary:
      'Use a Redis instance as a cache. The expiration can be set to zero or an empty string in order to set no expiration.',
    fields: [
      ...redisClientFields,
      field.string('prefix', {
        optional: true,
        description:
          'An optional string to prefix item keys with in order to prevent collisions with similar services.',
      }),
      field.duration('default_ttl', {
        optional: true,
        advanced: true,
        description:
          'An optional default TTL to set for items, calculated from the moment the item is cached.',
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
    ],
  },
  create: (c: RedisCacheConfig, context) => redisCache(c, context.label),
}
