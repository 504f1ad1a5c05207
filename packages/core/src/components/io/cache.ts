import { LRUCache } from 'lru-cache'
import {
  type Cache,
  FieldError,
  type ImmediateCache,
  KeyExists,
  KeyNotFound,
  parseField,
} from '../../component.ts'
import { parseDuration } from '../../duration.ts'
import { defineCache } from '../../kit/declare.ts'
import { field } from '../../spec.ts'

const encoder = new TextEncoder()
export type Clock = () => number

const initValuesField = field.map('init_values', 'string', {
  default: {},
  description:
    'A table of key/value pairs that should be present in the cache on initialization. This can be used to create static lookup tables.',
  examples: [{ Nickelback: '1995', 'Spice Girls': '1994', 'The Human League': '1977' }],
})

// ---------------------------------------------------------------------------------------------
// memory

interface Item {
  value: Uint8Array
  /** ms since the epoch; undefined: never (init_values) */
  expires: number | undefined
}

interface Shard {
  items: Map<string, Item>
  lastCompaction: number
}

export interface MemoryCacheOptions {
  defaultTtlMs: number
  /** 0: items never expire */
  compactionIntervalMs: number
  shards: number
  initValues: Record<string, string>
}

/** FNV-1a, to spread keys over shards. */
function hash(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * Bento's `memory` cache: an item expires its TTL after it was last set; expired items are
 * invisible to `get`, and removed by a compaction that runs on writes at most once per
 * `compaction_interval`. Without a compaction interval nothing expires. `add` of a key whose
 * item expired but was not compacted yet still fails, as in Bento.
 */
export function memoryCache(o: MemoryCacheOptions, now: Clock = Date.now): Cache {
  const shards: Shard[] = Array.from({ length: Math.max(1, o.shards) }, () => ({
    items: new Map(),
    lastCompaction: now(),
  }))
  const shardOf = (key: string): Shard =>
    shards.length === 1 ? shards[0]! : shards[hash(key) % shards.length]!
  const expired = (item: Item): boolean =>
    o.compactionIntervalMs > 0 && item.expires !== undefined && item.expires < now()
  const compact = (shard: Shard): void => {
    if (o.compactionIntervalMs <= 0 || now() - shard.lastCompaction < o.compactionIntervalMs) return
    for (const [key, item] of shard.items) if (expired(item)) shard.items.delete(key)
    shard.lastCompaction = now()
  }
  for (const [key, value] of Object.entries(o.initValues)) {
    shardOf(key).items.set(key, { value: encoder.encode(value), expires: undefined })
  }
  const expiry = (ttlMs: number | undefined) => now() + (ttlMs ?? o.defaultTtlMs)
  return fromImmediate({
    get(key) {
      const item = shardOf(key).items.get(key)
      return item === undefined || expired(item) ? undefined : item.value
    },
    set(key, value, ttlMs) {
      const shard = shardOf(key)
      compact(shard)
      shard.items.set(key, { value, expires: expiry(ttlMs) })
    },
    add(key, value, ttlMs) {
      const shard = shardOf(key)
      if (shard.items.has(key)) return false
      compact(shard)
      shard.items.set(key, { value, expires: expiry(ttlMs) })
      return true
    },
    delete(key) {
      const shard = shardOf(key)
      compact(shard)
      shard.items.delete(key)
    },
  })
}

/** The Cache of an in-memory cache: the promise methods over the immediate ones. */
function fromImmediate(now: ImmediateCache): Cache {
  return {
    async get(key) {
      const value = now.get(key)
      if (value === undefined) throw new KeyNotFound(key)
      return value
    },
    async set(key, value, ttlMs) {
      now.set(key, value, ttlMs)
    },
    async add(key, value, ttlMs) {
      if (!now.add(key, value, ttlMs)) throw new KeyExists(key)
    },
    async delete(key) {
      now.delete(key)
    },
    now,
  }
}

export const memoryCachePlugin = defineCache({
  name: 'memory',
  status: 'stable',
  summary:
    'Stores key/value pairs in a map held in memory. This cache is therefore reset every time the service restarts. Each item in the cache has a TTL set from the moment it was last edited, after which it will be removed during the next compaction.',
  description:
    'The compaction interval determines how often the cache is cleared of expired items, and this process is only triggered on writes to the cache. Item expiry can be disabled entirely by setting the `compaction_interval` to an empty string. Values of `init_values` are exempt from TTLs until they are overridden.',
  fields: [
    field.duration('default_ttl', {
      default: '5m',
      description:
        'The default TTL of each item. After this period an item will be eligible for removal during the next compaction.',
    }),
    field.string('compaction_interval', {
      default: '60s',
      description:
        'The period of time to wait before each compaction, at which point expired items are removed. This field can be set to an empty string in order to disable compactions/expiry entirely.',
    }),
    initValuesField,
    field.int('shards', {
      default: 1,
      advanced: true,
      description:
        'A number of logical shards to spread keys across, increasing the shards can have a performance benefit when processing a large number of keys.',
    }),
  ],
  create: (c) =>
    memoryCache({
      defaultTtlMs: parseField('default_ttl', () => parseDuration(c.default_ttl)),
      compactionIntervalMs:
        c.compaction_interval === ''
          ? 0
          : parseField('compaction_interval', () => parseDuration(c.compaction_interval)),
      shards: c.shards,
      initValues: c.init_values,
    }),
})

// ---------------------------------------------------------------------------------------------
// lru

/** `get` refreshes recency, `add` checks with a peek (no refresh); TTL arguments are ignored, as in Bento. */
function lruAdapter(inner: LRUCache<string, Uint8Array>): Cache {
  return fromImmediate({
    get: (key) => inner.get(key),
    set(key, value) {
      inner.set(key, value)
    },
    add(key, value) {
      if (inner.peek(key) !== undefined) return false
      inner.set(key, value)
      return true
    },
    delete(key) {
      inner.delete(key)
    },
  })
}

export interface LruOptions {
  cap: number
  algorithm: string
  initValues: Record<string, string>
}

export function lruCache(o: LruOptions): Cache {
  if (o.cap <= 0) throw new FieldError('cap', 'invalid lru cache parameter capacity: must be bigger than 0')
  if (!['standard', 'arc', 'two_queues'].includes(o.algorithm)) {
    throw new FieldError(
      'algorithm',
      `algorithm "${o.algorithm}" not supported. the supported values are "standard", "arc" and "two_queues"`,
    )
  }
  const inner = new LRUCache<string, Uint8Array>({ max: o.cap })
  for (const [key, value] of Object.entries(o.initValues)) inner.set(key, encoder.encode(value))
  return lruAdapter(inner)
}

export const lruCachePlugin = defineCache({
  name: 'lru',
  status: 'stable',
  summary:
    'Stores key/value pairs in a lru in-memory cache. This cache is therefore reset every time the service restarts.',
  description:
    'A fixed-size LRU cache. Only the `standard` algorithm is implemented; `arc` and `two_queues` are accepted and run as `standard` (a warning is logged).',
  fields: [
    field.int('cap', { default: 1000, description: 'The cache maximum capacity (number of entries)' }),
    initValuesField,
    field.string('algorithm', {
      default: 'standard',
      options: ['standard', 'arc', 'two_queues'],
      advanced: true,
      description: 'the lru cache implementation',
    }),
    field.float('two_queues_recent_ratio', {
      default: 0.25,
      advanced: true,
      description:
        'is the ratio of the two_queues cache dedicated to recently added entries that have only been accessed once.',
    }),
    field.float('two_queues_ghost_ratio', {
      default: 0.5,
      advanced: true,
      description:
        'is the default ratio of ghost entries kept to track entries recently evicted on two_queues cache.',
    }),
    field.bool('optimistic', {
      default: false,
      advanced: true,
      description:
        'If true, we do not lock on read/write events. The lru package is thread-safe, however the ADD operation is not atomic.',
    }),
  ],
  create(c, context) {
    if (c.algorithm !== 'standard' && ['arc', 'two_queues'].includes(c.algorithm)) {
      context.logger.warn(`lru algorithm "${c.algorithm}" is not implemented; using "standard"`)
    }
    return lruCache({ cap: c.cap, algorithm: c.algorithm, initValues: c.init_values })
  },
})

// ---------------------------------------------------------------------------------------------
// ttlru

export interface TtlruOptions {
  cap: number
  defaultTtlMs: number
  initValues: Record<string, string>
}

/**
 * Bento's `ttlru` (hashicorp expirable LRU): every entry lives `default_ttl` from when it was last
 * set (a get does not extend it); beyond `cap` entries the least recently used goes.
 */
export function ttlruCache(o: TtlruOptions, now: Clock = () => performance.now()): Cache {
  if (o.cap <= 0) throw new FieldError('cap', 'invalid ttlru cache parameter capacity: must be bigger than 0')
  if (!(o.defaultTtlMs > 0))
    throw new FieldError('default_ttl', 'invalid ttlru cache parameter default_ttl: must be bigger than 0s')
  const inner = new LRUCache<string, Uint8Array>({
    max: o.cap,
    ttl: o.defaultTtlMs,
    ttlResolution: 0,
    updateAgeOnGet: false,
    perf: { now },
  })
  for (const [key, value] of Object.entries(o.initValues)) inner.set(key, encoder.encode(value))
  return lruAdapter(inner)
}

export const ttlruCachePlugin = defineCache({
  name: 'ttlru',
  status: 'stable',
  summary:
    'Stores key/value pairs in a ttlru in-memory cache. This cache is therefore reset every time the service restarts.',
  description:
    'A cache with a fixed number of entries, each living `default_ttl` from when it was last set. When the cache is full the least recently used entry is evicted.',
  fields: [
    field.int('cap', { default: 1024, description: 'The cache maximum capacity (number of entries)' }),
    field.duration('default_ttl', { default: '5m0s', description: 'The cache ttl of each element' }),
    field.duration('ttl', {
      optional: true,
      advanced: true,
      deprecated: true,
      description: 'Deprecated. Please use `default_ttl` field',
    }),
    initValuesField,
    field.bool('optimistic', {
      default: false,
      advanced: true,
      description:
        'If true, we do not lock on read/write events. The ttlru package is thread-safe, however the ADD operation is not atomic.',
    }),
  ],
  create(c, context) {
    let ttl = { field: 'default_ttl', value: c.default_ttl }
    if (c.ttl !== undefined) {
      context.logger.warn('field "ttl" is deprecated, please use "default_ttl"')
      ttl = { field: 'ttl', value: c.ttl }
    }
    const defaultTtlMs = parseField(ttl.field, () => parseDuration(ttl.value))
    return ttlruCache({ cap: c.cap, defaultTtlMs, initValues: c.init_values })
  },
})
