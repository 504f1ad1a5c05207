// The `kafka` cache: the state store as a cache resource, for the `cache` and `dedupe`
// processors. It opens on first use (rebuilding memory from the topic before answering), and
// opens again on the next call if opening failed.
import { type Cache, field, KeyExists, KeyNotFound, type Plugin, parseDuration } from '@bento-ts/core'
import { tlsOptions } from '@bento-ts/core/kit'
import {
  addressesField,
  type ClientConfig,
  clientIdField,
  kafkaClient,
  saslField,
  tlsField,
} from './client.ts'
import { bytesCodec, type KafkaStateStore, openStateStore } from './store.ts'

export interface KafkaCacheConfig extends ClientConfig {
  topic: string
  partitions: number
  replication_factor: number
  default_ttl: string
  timeout: string
  follow: boolean
}

export const kafkaCache: Plugin<'cache'> = {
  spec: {
    name: 'kafka',
    kind: 'cache',
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
  },
  create(config: KafkaCacheConfig, context): Cache {
    if (config.topic === '') throw new Error('topic: a topic is required')
    const defaultTtlMs = config.default_ttl === '' ? undefined : parseDuration(config.default_ttl)
    // Checked now, so a bad TLS or SASL setting fails at start rather than at first use.
    tlsOptions(config.tls)
    let opening: Promise<KafkaStateStore<Uint8Array>> | undefined
    const store = () => {
      opening ??= openStateStore({
        brokers: config.addresses,
        topic: config.topic,
        partitions: config.partitions,
        replicationFactor: config.replication_factor,
        codec: bytesCodec,
        logger: context.logger,
        follow: config.follow,
        timeoutMs: parseDuration(config.timeout),
        kafka: kafkaClient(config, { logger: context.logger, context }),
      }).catch((err) => {
        opening = undefined
        throw err
      })
      return opening
    }
    const ttl = (ttlMs: number | undefined) => {
      const ms = ttlMs ?? defaultTtlMs
      return ms === undefined ? {} : { ttlMs: ms }
    }
    return {
      async get(key) {
        const value = await (await store()).load(key)
        if (value === undefined) throw new KeyNotFound(key)
        return value
      },
      async set(key, value, ttlMs) {
        await (await store()).save(key, value, ttl(ttlMs))
      },
      async add(key, value, ttlMs) {
        if (!(await (await store()).add(key, value, ttl(ttlMs)))) throw new KeyExists(key)
      },
      async delete(key) {
        await (await store()).delete(key)
      },
      async close() {
        const current = opening
        opening = undefined
        if (current !== undefined) await (await current.catch(() => undefined))?.close()
      },
    }
  },
}
