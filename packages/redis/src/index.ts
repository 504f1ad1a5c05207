// Redis components for bento-ts: each is one declaration (its spec beside its factory, with
// Bento's field names, defaults and metadata); `register` adds them all to an environment, so a
// program includes only the connector packages it installed.
import { addPlugins, type Environment } from '@bento-ts/core'
import { redisCachePlugin } from './cache.ts'
import { redisHashOutputPlugin } from './hash-output.ts'
import { redisListInputPlugin } from './list-input.ts'
import { redisListOutputPlugin } from './list-output.ts'
import { redisPubSubInputPlugin } from './pubsub-input.ts'
import { redisPubSubOutputPlugin } from './pubsub-output.ts'
import { redisRateLimitPlugin } from './rate-limit.ts'
import { redisScanInputPlugin } from './scan-input.ts'
import { redisStreamsInputPlugin } from './streams-input.ts'
import { redisStreamsOutputPlugin } from './streams-output.ts'

export const packageName = '@bento-ts/redis'

/** Every component of the package: what the registry and the catalog read. */
export const components = [
  redisStreamsInputPlugin,
  redisListInputPlugin,
  redisPubSubInputPlugin,
  redisScanInputPlugin,
  redisStreamsOutputPlugin,
  redisListOutputPlugin,
  redisPubSubOutputPlugin,
  redisHashOutputPlugin,
  redisCachePlugin,
  redisRateLimitPlugin,
] as const

/** The former name of `components`. */
export const redisPlugins = components

/** Adds every Redis input, output, cache and rate limit to the environment. */
export function register(env: Environment): Environment {
  return addPlugins(env, components)
}

export { type RedisCacheConfig, redisCache, redisCachePlugin } from './cache.ts'
export { parseRedisUrl, type RedisConfig, redisClientFields } from './client.ts'
export { redisHashOutputPlugin } from './hash-output.ts'
export { type ListInputConfig, redisListInput, redisListInputPlugin } from './list-input.ts'
export { redisListOutputPlugin } from './list-output.ts'
export { type PubSubInputConfig, redisPubSubInput, redisPubSubInputPlugin } from './pubsub-input.ts'
export { redisPubSubOutputPlugin } from './pubsub-output.ts'
export { type RedisRateLimitConfig, redisRateLimit, redisRateLimitPlugin } from './rate-limit.ts'
export { redisScanInput, redisScanInputPlugin, type ScanInputConfig } from './scan-input.ts'
export { redisStreamsInput, redisStreamsInputPlugin, type StreamsInputConfig } from './streams-input.ts'
export { redisStreamsOutputPlugin } from './streams-output.ts'
