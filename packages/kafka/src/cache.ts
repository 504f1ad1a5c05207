// The `kafka` cache: the state store as a cache resource, for the `cache` and `dedupe`
// processors. It opens on first use (rebuilding memory from the topic before answering), and
// opens again on the next call if opening failed.
import { FieldError, field, KeyExists, KeyNotFound, parseDuration } from '@bento-ts/core'
import { cacheSkeleton, defineCache } from '@bento-ts/core/kit'
import {
  addressesField,
  checkClientConfig,
  clientIdField,
  kafkaClient,
  saslField,
  tlsField,
} from './client.ts'
import { bytesCodec, openStateStore } from './store.ts'

export const kafkaCache = defineCache({
  name: 'kafka',
  status: 'experimental',
  categories: ['Services'],
  summary:
    'A cache kept in a compacted Kafka topic: reads from memory, writes as keyed records, deletes as tombstones.',
  description:
    'On first use the cache reads the topic to its end, so it starts with every key a previous run left (and none it deleted). It creates the topic with `cleanup.policy=compact` when missing. `add` is atomic within one process, not across processes.',
  fields: [
    addressesField,
    field.string('topic', { description: 'The compacted topic holding the entries.' }),
    clientIdField,
    field.int('partitions', {
      default: 1,
      advanced: true,
      description: 'Partitions of the topic when created.',
    }),
    field.int('replication_factor', {
      default: -1,
      advanced: true,
      description: "Replication factor of the topic when created; -1 uses the broker's default.",
    }),
    field.string('default_ttl', {
      default: '',
      description: 'How long entries live when a write gives no TTL; empty: forever.',
      examples: ['60s', '5m'],
    }),
    field.duration('timeout', {
      default: '10s',
      advanced: true,
      description: 'How long the broker may take to acknowledge a write.',
    }),
    field.bool('follow', {
      default: true,
      advanced: true,
      description: 'Keep reading the topic after start, so writes of other instances show up.',
    }),
    tlsField,
    saslField,
  ],
  create(config, context) {
    if (config.topic === '') throw new FieldError('topic', 'a topic is required')
    let defaultTtlMs: number | undefined
    try {
      defaultTtlMs = config.default_ttl === '' ? undefined : parseDuration(config.default_ttl)
    } catch (err) {
      throw new FieldError('default_ttl', (err as Error).message, { cause: err })
    }
    // Checked now, so a bad TLS or SASL setting fails at start rather than at first use.
    checkClientConfig(config)
    const ttl = (ttlMs: number | undefined) => {
      const ms = ttlMs ?? defaultTtlMs
      return ms === undefined ? {} : { ttlMs: ms }
    }
    return cacheSkeleton(
      {
        connect: () =>
          openStateStore({
            brokers: config.addresses,
            topic: config.topic,
            partitions: config.partitions,
            replicationFactor: config.replication_factor,
            codec: bytesCodec,
            logger: context.logger,
            follow: config.follow,
            timeoutMs: parseDuration(config.timeout),
            kafka: kafkaClient(config, { logger: context.logger, context }),
          }),
        async get(store, key) {
          const value = await store.load(key)
          if (value === undefined) throw new KeyNotFound(key)
          return value
        },
        set: (store, key, value, ttlMs) => store.save(key, value, ttl(ttlMs)),
        async add(store, key, value, ttlMs) {
          if (!(await store.add(key, value, ttl(ttlMs)))) throw new KeyExists(key)
        },
        delete: (store, key) => store.delete(key),
        disconnect: (store) => store.close(),
      },
      context.signal,
    )
  },
})
