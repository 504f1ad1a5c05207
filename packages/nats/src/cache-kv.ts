// `nats_kv` cache: keys and values in a NATS key-value bucket. `add` is a create that fails with
// KeyExists when the key holds a value; a deleted key reads as KeyNotFound and can be added again.
// The bucket keeps its own TTL (max age): a TTL given per call is ignored, as in Bento.

import { KeyExists, KeyNotFound, NotConnected } from '@bento-ts/core'
import { cacheSkeleton, defineCache } from '@bento-ts/core/kit'
import type { KV } from 'nats'
import { connectionOptions, connectionTailFields, type Link, openLinkWith, urlsField } from './connection.ts'
import { bindBucket, bucketField } from './kv.ts'

const component = 'nats_kv'
/** JetStream's "wrong last sequence": the key already has a value */
const wrongLastSequence = 10071

const isKeyExists = (err: unknown): boolean =>
  (err as { api_error?: { err_code?: number } }).api_error?.err_code === wrongLastSequence

/** how long connecting on first use may take */
const connectTimeoutMs = 30_000

export const kvCache = defineCache({
  name: 'nats_kv',
  status: 'stable',
  categories: ['Services'],
  summary: 'Cache key/values in a NATS key-value bucket.',
  description: 'The connection name is the component label.',
  fields: [urlsField, bucketField, ...connectionTailFields],
  create(config, context) {
    const options = connectionOptions(component, config, context.label)
    const op = async <T>(c: { link: Link }, what: string, key: string, run: () => Promise<T>): Promise<T> => {
      // Closed for good (the client gave up): the skeleton connects again on the next call.
      if (c.link.closed) throw new NotConnected(`${component}: connection closed`)
      try {
        return await run()
      } catch (err) {
        if (err instanceof KeyExists || err instanceof KeyNotFound) throw err
        throw new Error(`${component}: ${what} ${JSON.stringify(key)}: ${(err as Error).message}`, {
          cause: err,
        })
      }
    }
    return cacheSkeleton<{ link: Link; kv: KV }>(
      {
        async connect(signal) {
          const timeout = AbortSignal.timeout(connectTimeoutMs)
          const within = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
          return openLinkWith(component, options, context.logger, within, async (link) => ({
            link,
            kv: await bindBucket(component, link, config.bucket),
          }))
        },
        get: (c, key) =>
          op(c, 'get', key, async () => {
            const entry = await c.kv.get(key)
            if (entry === null || entry.operation !== 'PUT') throw new KeyNotFound(key)
            return entry.value
          }),
        set: (c, key, value) =>
          op(c, 'set', key, async () => {
            await c.kv.put(key, value)
          }),
        add: (c, key, value) =>
          op(c, 'add', key, async () => {
            try {
              await c.kv.create(key, value)
            } catch (err) {
              if (isKeyExists(err)) throw new KeyExists(key)
              throw err
            }
          }),
        delete: (c, key) =>
          op(c, 'delete', key, async () => {
            await c.kv.delete(key)
          }),
        disconnect: (c) => c.link.close(),
      },
      context.signal,
    )
  },
})
