// Processors over cache resources: dedupe, cache and cached.

import { parse } from '@bento-ts/bloblang'
import { type Cache, KeyExists, KeyNotFound, type ParsedComponent, type Plugin } from '../../component.ts'
import type { Batch, Message } from '../../message.ts'
import { field } from '../../spec.ts'
import {
  BatchView,
  closeAll,
  durationMs,
  errorOf,
  fail,
  type Interpolated,
  interpolated,
  queryBool,
  runAll,
  wrapError,
} from './util.ts'

function cacheResource(
  context: { resources: { hasCache(l: string): boolean; cache(l: string): Cache } },
  name: string,
): Cache {
  if (!context.resources.hasCache(name)) throw new Error(`cache resource '${name}' was not found`)
  return context.resources.cache(name)
}

interface DedupeConfig {
  cache: string
  key: string
  drop_on_err: boolean
  strategy: string
}

const marker = new Uint8Array([0x74]) // "t"

export const dedupeProcessor: Plugin<'processor'> = {
  spec: {
    name: 'dedupe',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary:
      'Deduplicates messages by storing a key value in a cache using the `add` operator. If the key already exists within the cache it is dropped.',
    description:
      'Caches should be configured with a TTL so keys do not live forever. With strategy FIFO the first message of a batch with a key is kept, with LIFO the last. A cache error drops the message unless `drop_on_err` is false, in which case it passes on flagged.',
    fields: [
      field.string('cache', {
        resource: 'cache',
        description: 'The `cache` resource to target with this processor.',
      }),
      field.interpolated('key', {
        description: 'An interpolated string yielding the key to deduplicate by for each message.',
        examples: ['${! meta("kafka_key") }', '${! content().hash("xxhash64") }'],
      }),
      field.bool('drop_on_err', {
        default: true,
        description:
          'Whether messages should be dropped when the cache returns a general error such as a network issue.',
      }),
      field.string('strategy', {
        default: 'FIFO',
        advanced: true,
        options: ['FIFO', 'LIFO'],
        description:
          'Controls how to handle duplicate values: FIFO keeps the first value seen for each key, LIFO keeps the last.',
      }),
    ],
  },
  create(config: DedupeConfig, context) {
    if (config.key === '') throw new Error('dedupe key must not be empty')
    const key = interpolated(config.key, 'key')
    const cache = cacheResource(context, config.cache)
    const fifo = config.strategy.toUpperCase() !== 'LIFO'
    const logger = context.logger
    return {
      async process(batch: Batch): Promise<Batch[]> {
        const out: Batch = []
        const view = new BatchView(batch)
        for (let n = 0; n < batch.length; n++) {
          const i = fifo ? n : batch.length - n - 1
          const m = batch[i]!
          let k: string
          try {
            k = key.text(view, i)
          } catch (err) {
            logger.debug(`Processor failed: ${wrapError('key interpolation error', err).message}`)
            continue
          }
          try {
            await cache.add(k, marker)
          } catch (err) {
            if (err instanceof KeyExists) continue
            logger.error(`Cache error: ${errorOf(err).message}`)
            if (config.drop_on_err) continue
            fail(m, err)
          }
          if (fifo) out.push(m)
          else out.unshift(m)
        }
        return out.length === 0 ? [] : [out]
      },
    }
  },
}

interface CacheConfig {
  resource: string
  operator: string
  key: string
  value?: string
  ttl?: string
}

type Operator = (
  cache: Cache,
  key: string,
  value: Uint8Array,
  ttlMs: number | undefined,
) => Promise<Uint8Array | undefined>

const operators: Record<string, Operator> = {
  set: async (cache, key, value, ttl) => {
    await cache.set(key, value, ttl)
    return undefined
  },
  add: async (cache, key, value, ttl) => {
    await cache.add(key, value, ttl)
    return undefined
  },
  get: (cache, key) => cache.get(key),
  delete: async (cache, key) => {
    await cache.delete(key)
    return undefined
  },
}

/** Go's error texts for the cache sentinel errors. */
function cacheErrorText(err: unknown): string {
  if (err instanceof KeyNotFound) return 'key does not exist'
  if (err instanceof KeyExists) return 'key already exists'
  return errorOf(err).message
}

export const cacheProcessor: Plugin<'processor'> = {
  spec: {
    name: 'cache',
    kind: 'processor',
    status: 'stable',
    categories: ['Integration'],
    summary:
      'Performs operations against a cache resource for each message, allowing you to store or retrieve data within message payloads.',
    description:
      '`get` replaces the payload with the cached value (a missing key fails the message); `add` fails with `key already exists` when the key is present; `set` and `delete` leave the payload unchanged.',
    fields: [
      field.string('resource', {
        resource: 'cache',
        description: 'The `cache` resource to target with this processor.',
      }),
      field.string('operator', {
        options: ['set', 'add', 'get', 'delete'],
        description: 'The operation to perform with the cache.',
      }),
      field.interpolated('key', { description: 'A key to use with the cache.' }),
      field.interpolated('value', {
        optional: true,
        description: 'A value to use with the cache (when applicable).',
      }),
      field.interpolated('ttl', {
        optional: true,
        advanced: true,
        description:
          'The TTL of each individual item as a duration string. After this period an item will be eligible for removal during the next compaction. Not all caches support per-key TTLs, those that do will have a configuration field `default_ttl`, and those that do not will fall back to their generally configured TTL setting.',
        examples: ['60s', '5m', '36h'],
      }),
    ],
  },
  create(config: CacheConfig, context) {
    if (config.resource === '') throw new Error('cache name must be specified')
    const operator = operators[config.operator]
    if (operator === undefined) throw new Error(`operator not recognised: ${config.operator}`)
    const key = interpolated(config.key, 'key')
    const value: Interpolated = interpolated(config.value ?? '', 'value')
    const ttl: Interpolated = interpolated(config.ttl ?? '', 'ttl')
    const cache = cacheResource(context, config.resource)
    return {
      async process(batch: Batch): Promise<Batch[]> {
        const view = new BatchView(batch)
        for (let i = 0; i < batch.length; i++) {
          const m = batch[i]!
          let k: string
          let v: Uint8Array
          let ttlMs: number | undefined
          try {
            k = key.text(view, i)
          } catch (err) {
            fail(m, wrapError('key interpolation error', err))
            continue
          }
          try {
            v = value.bytes(view, i)
          } catch (err) {
            fail(m, wrapError('value interpolation error', err))
            continue
          }
          let ttlText: string
          try {
            ttlText = ttl.text(view, i)
          } catch (err) {
            fail(m, wrapError('ttl interpolation error', err))
            continue
          }
          if (ttlText !== '') {
            try {
              ttlMs = durationMs(ttlText)
            } catch (err) {
              fail(m, wrapError('ttl must be a duration', err))
              continue
            }
          }
          let result: Uint8Array | undefined
          try {
            result = await operator(cache, k, v, ttlMs)
          } catch (err) {
            fail(
              m,
              err instanceof KeyExists
                ? new Error(`key already exists: ${k}`, { cause: err })
                : new Error(`operator failed for key '${k}': ${cacheErrorText(err)}`, { cause: err }),
            )
            continue
          }
          if (result !== undefined) m.setBytes(result)
        }
        return [batch]
      },
    }
  },
}

interface CachedConfig {
  cache: string
  skip_on?: string
  key: string
  ttl?: string
  processors: ParsedComponent[]
}

export const cachedProcessor: Plugin<'processor'> = {
  spec: {
    name: 'cached',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary:
      'Cache the result of applying one or more processors to messages identified by a key. If the key already exists within the cache the contents of the message will be replaced with the cached result instead of applying the processors.',
    description:
      'Each message is looked up on its own. On a miss the processors run on it alone and must give exactly one message, whose payload is stored unless it failed or `skip_on` is true for it. A failed cache read runs the processors, as a miss does.',
    fields: [
      field.string('cache', {
        resource: 'cache',
        description: 'The cache resource to read and write processor results from.',
      }),
      field.bloblang('skip_on', {
        optional: true,
        description: 'A condition that can be used to skip caching the results from the processors.',
        examples: ['errored()'],
      }),
      field.interpolated('key', {
        description:
          'A key to be resolved for each message, if the key already exists in the cache then the cached result is used, otherwise the processors are applied and the result is cached under this key.',
        examples: ['my_foo_result', '${! this.document.id }'],
      }),
      field.interpolated('ttl', {
        optional: true,
        description:
          'An optional expiry period to set for each cache entry. Some caches only have a general TTL and will therefore ignore this setting.',
      }),
      field.array('processors', 'processor', {
        description: 'The list of processors whose result will be cached.',
      }),
    ],
  },
  async create(config: CachedConfig, context) {
    const cache = cacheResource(context, config.cache)
    const key = interpolated(config.key, 'key')
    const ttl = interpolated(config.ttl ?? '', 'ttl')
    const skipOn = config.skip_on === undefined || config.skip_on === '' ? undefined : parse(config.skip_on)
    const children = await context.build.processors(config.processors)
    return {
      async process(batch: Batch): Promise<Batch[]> {
        const view = new BatchView(batch)
        const out: Message[] = []
        for (let i = 0; i < batch.length; i++) {
          const m = batch[i]!
          let k: string
          let ttlMs: number | undefined
          try {
            k = key.text(view, i)
            const t = ttl.text(view, i)
            if (t !== '') ttlMs = durationMs(t)
          } catch (err) {
            fail(m, wrapError('failed to interpolate cached processor fields', err))
            out.push(m)
            continue
          }
          const hit = await cache.get(k).catch(() => undefined)
          if (hit !== undefined) {
            m.setBytes(hit)
            out.push(m)
            continue
          }
          const produced = (await runAll(children, [[m]])).flat()
          if (produced.length !== 1) {
            fail(
              m,
              new Error(
                `cached processors must produce exactly one message, they produced ${produced.length}`,
              ),
            )
            out.push(m)
            continue
          }
          const result = produced[0]!
          const skip =
            result.error !== undefined ||
            (skipOn !== undefined && queryBool(skipOn, new BatchView([result]), 0))
          if (!skip) {
            try {
              await cache.set(k, result.bytes(), ttlMs)
            } catch (err) {
              context.logger.error(
                `Failed to store the cached result for key '${k}': ${errorOf(err).message}`,
              )
            }
          }
          out.push(result)
        }
        return [out]
      },
      close: () => closeAll(children),
    }
  },
}
