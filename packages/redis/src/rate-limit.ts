// `redis` rate limit: a counter per `interval` shared by every process using the same key. The
// first access of a window starts the counter and its expiry; once it passes `count` an access is
// told how long until the window ends.
import { type ConfigOf, FieldError, field, parseDuration, type RateLimit } from '@bento-ts/core'
import { defineRateLimit } from '@bento-ts/core/kit'
import {
  commandError,
  connectClient,
  type RedisClient,
  redisClientFactory,
  redisClientFields,
} from './client.ts'

const fields = [
  ...redisClientFields,
  field.int('count', {
    default: 1000,
    description: 'The maximum number of messages to allow for a given period of time.',
  }),
  field.duration('interval', { default: '1s', description: 'The time window to limit requests by.' }),
  field.string('key', { description: 'The key to use for the rate limit.' }),
] as const

export type RedisRateLimitConfig = ConfigOf<typeof fields>

/** KEYS[1] the counter; ARGV[1] the count allowed, ARGV[2] the window in ms. Returns ms to wait, 0 to go. */
const accessScript = `local used = redis.call('INCR', KEYS[1])
if used == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if used <= tonumber(ARGV[1]) then
  return 0
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  -- the counter lost its expiry (it was written by someone else): start a new window
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(ARGV[2])
end
return left`

type WithAccess = RedisClient & {
  bentoRateLimitAccess(key: string, count: number, intervalMs: number): Promise<number>
}

export function redisRateLimit(c: RedisRateLimitConfig, label = 'redis'): RateLimit {
  // Bento's wording, kept whole after the path.
  if (c.count <= 0) throw new FieldError('count', 'count must be larger than zero')
  if (c.key === '') throw new FieldError('key', 'a key is required')
  const intervalMs = parseDuration(c.interval)
  if (!(intervalMs > 0)) throw new FieldError('interval', `must be positive, got "${c.interval}"`)
  const makeClient = redisClientFactory(c)
  let client: Promise<RedisClient> | undefined

  const connected = (): Promise<RedisClient> => {
    client ??= (async () => {
      const r = makeClient({ name: `${label}-rate-limit` })
      try {
        await connectClient(r)
      } catch (err) {
        client = undefined
        throw err
      }
      r.defineCommand('bentoRateLimitAccess', { numberOfKeys: 1, lua: accessScript })
      r.once('close', () => {
        client = undefined
      })
      return r
    })()
    return client
  }

  return {
    async access() {
      const r = await connected()
      try {
        return Number(await (r as WithAccess).bentoRateLimitAccess(c.key, c.count, Math.round(intervalMs)))
      } catch (err) {
        throw commandError(err, 'accessing redis rate limit')
      }
    },
    async close() {
      const r = client
      client = undefined
      if (r !== undefined) (await r.catch(() => undefined))?.disconnect()
    },
  }
}

export const redisRateLimitPlugin = defineRateLimit({
  name: 'redis',
  status: 'experimental',
  summary:
    'A rate limit implementation using Redis. It works by using a simple token bucket algorithm to limit the number of requests to a given count within a given time period. The rate limit is shared across all instances of Bento that use the same Redis instance, which must all have a consistent count and interval.',
  fields,
  create: (config, context) => redisRateLimit(config, context.label),
})
