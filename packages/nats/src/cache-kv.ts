// `nats_kv` cache: keys and values in a NATS key-value bucket. `add` is a create that fails with
// KeyExists when the key holds a value; a deleted key reads as KeyNotFound and can be added again.
// The bucket keeps its own TTL (max age): a TTL given per call is ignored, as in Bento.

import { type Cache, KeyExists, KeyNotFound, type Logger, type Plugin } from '@bento-ts/core'
import type { KV } from 'nats'
import { type ConnectionConfig, connectionTailFields, type Link, openLink, urlsField } from './connection.ts'
import { bindBucket, bucketField } from './kv.ts'

export interface KvCacheConfig extends ConnectionConfig {
  bucket: string
}

const component = 'nats_kv'
/** JetStream's "wrong last sequence": the key already has a value */
const wrongLastSequence = 10071

const isKeyExists = (err: unknown): boolean =>
  (err as { api_error?: { err_code?: number } }).api_error?.err_code === wrongLastSequence

export function kvCache(c: KvCacheConfig, label: string, logger: Logger): Cache {
  let link: Link | undefined
  let bucket: Promise<KV> | undefined
  let closed = false

  /** The bucket, connecting on first use and again once a connection closed for good. */
  const ready = (): Promise<KV> => {
    if (closed) return Promise.reject(new Error(`${component}: cache is closed`))
    if (link?.closed) bucket = undefined
    bucket ??= (async () => {
      if (link === undefined || link.closed) {
        link = await openLink(component, c, label, logger, AbortSignal.timeout(30_000))
      }
      return bindBucket(component, link, c.bucket)
    })().catch((err) => {
      bucket = undefined
      throw err
    })
    return bucket
  }

  const op = async <T>(what: string, key: string, run: (kv: KV) => Promise<T>): Promise<T> => {
    const kv = await ready()
    try {
      return await run(kv)
    } catch (err) {
      if (err instanceof KeyExists || err instanceof KeyNotFound) throw err
      throw new Error(`${component}: ${what} ${JSON.stringify(key)}: ${(err as Error).message}`, {
        cause: err,
      })
    }
  }

  return {
    get: (key) =>
      op('get', key, async (kv) => {
        const entry = await kv.get(key)
        if (entry === null || entry.operation !== 'PUT') throw new KeyNotFound(key)
        return entry.value
      }),
    set: (key, value) =>
      op('set', key, async (kv) => {
        await kv.put(key, value)
      }),
    add: (key, value) =>
      op('add', key, async (kv) => {
        try {
          await kv.create(key, value)
        } catch (err) {
          if (isKeyExists(err)) throw new KeyExists(key)
          throw err
        }
      }),
    delete: (key) =>
      op('delete', key, async (kv) => {
        await kv.delete(key)
      }),
    async close() {
      closed = true
      await link?.close()
    },
  }
}

export const kvCachePlugin: Plugin<'cache'> = {
  spec: {
    name: 'nats_kv',
    kind: 'cache',
    status: 'stable',
    categories: ['Services'],
    summary: 'Cache key/values in a NATS key-value bucket.',
    description: 'The connection name is the component label.',
    fields: [urlsField, bucketField('my_kv_bucket'), ...connectionTailFields],
  },
  create: (config: KvCacheConfig, context) => kvCache(config, context.label, context.logger),
}
