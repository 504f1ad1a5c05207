// `nats_kv` input: watches a key-value bucket. Each (re)connect starts a watch that first gives
// the latest value of every matching key (or their whole history), then every change as it
// happens. A watch has nothing to acknowledge; a failed message is replayed from memory.

import { Timestamp } from '@bento-ts/bloblang'
import { field, Message, NotConnected } from '@bento-ts/core'
import { abortable, autoReplayNacksField, defineInput, inputSkeleton } from '@bento-ts/core/kit'
import { type KvEntry, KvWatchInclude, type QueuedIterator } from 'nats'
import { ackTimestampNanos } from './ack-subject.ts'
import { connectionOptions, connectionTailFields, type Link, openLinkWith, urlsField } from './connection.ts'
import { bindBucket, bucketField } from './kv.ts'

const component = 'nats_kv'
const settled = Promise.resolve()

/** Go's names of the KV operations (`KeyValueOp.String()`), which Bento puts in `nats_kv_operation`. */
export const operationNames: Record<string, string> = {
  PUT: 'KeyValuePutOp',
  DEL: 'KeyValueDeleteOp',
  PURGE: 'KeyValuePurgeOp',
}

/** When the entry was stored, to the nanosecond when its ack subject tells (the client rounds to ms). */
export function createdOf(entry: KvEntry): Timestamp {
  const reply = (entry as { sm?: { reply?: string } }).sm?.reply
  const ns = ackTimestampNanos(reply)
  if (ns !== undefined)
    return new Timestamp(Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n), 0, 'UTC', 'UTC')
  const ms = entry.created.getTime()
  return new Timestamp(Math.floor(ms / 1000), (ms % 1000) * 1_000_000, 0, 'UTC', 'UTC')
}

/** A watched entry as a message with Bento's `nats_kv_*` metadata. */
export function entryMessage(entry: KvEntry): Message {
  const message = new Message(entry.value)
  const m = message.metadata
  m.set('nats_kv_key', entry.key)
  m.set('nats_kv_bucket', entry.bucket)
  m.set('nats_kv_revision', entry.revision)
  m.set('nats_kv_delta', entry.delta ?? 0)
  m.set('nats_kv_operation', operationNames[entry.operation] ?? 'Unknown Operation')
  m.set('nats_kv_created', createdOf(entry))
  return message
}

const fields = [
  urlsField,
  bucketField,
  field.string('key', {
    default: '>',
    description: 'Key to watch for updates, can include wildcards.',
    examples: ['foo.bar.baz', 'foo.*.baz', 'foo.bar.*', 'foo.>'],
  }),
  autoReplayNacksField(),
  field.bool('ignore_deletes', {
    default: false,
    advanced: true,
    description: 'Do not send delete markers as messages.',
  }),
  field.bool('include_history', {
    default: false,
    advanced: true,
    description: 'Include all the history per key, not just the last one.',
  }),
  field.bool('meta_only', {
    default: false,
    advanced: true,
    description: 'Retrieve only the metadata of the entry',
  }),
  ...connectionTailFields,
] as const

/** A watch of the bucket over its own connection. */
interface Watching {
  link: Link
  watch: QueuedIterator<KvEntry>
  entries: AsyncIterator<KvEntry>
  /** a `next()` a read gave up on (stopping): the next read takes its entry */
  pending?: Promise<IteratorResult<KvEntry>>
}

export const kvInput = defineInput({
  name: 'nats_kv',
  status: 'stable',
  categories: ['Services'],
  summary: 'Watches for updates in a NATS key-value bucket.',
  description:
    'Metadata: nats_kv_key, nats_kv_bucket, nats_kv_revision, nats_kv_delta, nats_kv_operation (KeyValuePutOp, KeyValueDeleteOp, KeyValuePurgeOp) and nats_kv_created (a timestamp). The connection name is the component label.',
  fields,
  create(config, context) {
    const { logger } = context
    const options = connectionOptions(component, config, context.label)
    return inputSkeleton(config, context, {
      async connect(signal): Promise<Watching> {
        return openLinkWith(component, options, logger, signal, async (link) => {
          const kv = await bindBucket(component, link, config.bucket)
          const watch = await kv.watch({
            key: config.key,
            headers_only: config.meta_only,
            include: config.include_history ? KvWatchInclude.AllHistory : KvWatchInclude.LastValue,
          })
          return { link, watch, entries: watch[Symbol.asyncIterator]() }
        })
      },

      async read(w, signal) {
        for (;;) {
          w.pending ??= w.entries.next()
          const next = await abortable(w.pending, signal)
          w.pending = undefined
          if (next.done === true)
            throw new NotConnected(`${component}: the watch of bucket ${config.bucket} ended`)
          const entry = next.value
          // Go's IgnoreDeletes leaves out purges too.
          if (config.ignore_deletes && entry.operation !== 'PUT') continue
          logger.debug(`${component}: received kv bucket update`, {
            nats_kv_bucket: entry.bucket,
            nats_kv_key: entry.key,
            nats_kv_revision: entry.revision,
            nats_kv_operation: entry.operation,
          })
          return { batch: [entryMessage(entry)], ack: () => settled }
        }
      },

      async disconnect(w) {
        w.watch.stop()
        await w.link.close()
      },
    })
  },
})
