// `nats_kv` input: watches a key-value bucket. Each (re)connect starts a watch that first gives
// the latest value of every matching key (or their whole history), then every change as it
// happens. A watch has nothing to acknowledge; a failed message is replayed from memory.

import { Timestamp } from '@bento-ts/bloblang'
import {
  autoReplayNacks,
  field,
  type Input,
  type Logger,
  Message,
  NotConnected,
  type Plugin,
} from '@bento-ts/core'
import { abortable } from '@bento-ts/core/kit'
import { type KvEntry, KvWatchInclude, type QueuedIterator } from 'nats'
import { ackTimestampNanos } from './ack-subject.ts'
import { type ConnectionConfig, connectionTailFields, type Link, openLink, urlsField } from './connection.ts'
import { bindBucket, bucketField } from './kv.ts'

export interface KvInputConfig extends ConnectionConfig {
  bucket: string
  key: string
  auto_replay_nacks: boolean
  ignore_deletes: boolean
  include_history: boolean
  meta_only: boolean
}

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

export function kvInput(c: KvInputConfig, label: string, logger: Logger): Input {
  let link: Link | undefined
  let watch: QueuedIterator<KvEntry> | undefined
  let entries: AsyncIterator<KvEntry> | undefined
  /** a `next()` a read gave up on (stopping): the next read takes its entry */
  let pending: Promise<IteratorResult<KvEntry>> | undefined
  let closed = false

  const stopWatch = () => {
    watch?.stop()
    watch = undefined
    entries = undefined
    pending = undefined
  }

  return {
    async connect(signal) {
      if (closed) throw new NotConnected(`${component}: closed`)
      if (entries !== undefined && link !== undefined && !link.closed) return
      stopWatch()
      if (link === undefined || link.closed) link = await openLink(component, c, label, logger, signal)
      const kv = await bindBucket(component, link, c.bucket)
      watch = await kv.watch({
        key: c.key,
        headers_only: c.meta_only,
        include: c.include_history ? KvWatchInclude.AllHistory : KvWatchInclude.LastValue,
      })
      entries = watch[Symbol.asyncIterator]()
    },

    async read(signal) {
      for (;;) {
        if (entries === undefined) throw new NotConnected(`${component}: not watching`)
        pending ??= entries.next()
        const next = await abortable(pending, signal)
        pending = undefined
        if (next.done === true) {
          stopWatch()
          throw new NotConnected(`${component}: the watch of bucket ${c.bucket} ended`)
        }
        const entry = next.value
        // Go's IgnoreDeletes leaves out purges too.
        if (c.ignore_deletes && entry.operation !== 'PUT') continue
        logger.debug(`${component}: received kv bucket update`, {
          nats_kv_bucket: entry.bucket,
          nats_kv_key: entry.key,
          nats_kv_revision: entry.revision,
          nats_kv_operation: entry.operation,
        })
        return { batch: [entryMessage(entry)], ack: () => settled }
      }
    },

    async close() {
      closed = true
      stopWatch()
      await link?.close()
    },
  }
}

export const kvInputPlugin: Plugin<'input'> = {
  spec: {
    name: 'nats_kv',
    kind: 'input',
    status: 'stable',
    categories: ['Services'],
    summary: 'Watches for updates in a NATS key-value bucket.',
    description:
      'Metadata: nats_kv_key, nats_kv_bucket, nats_kv_revision, nats_kv_delta, nats_kv_operation (KeyValuePutOp, KeyValueDeleteOp, KeyValuePurgeOp) and nats_kv_created (a timestamp). The connection name is the component label.',
    fields: [
      urlsField,
      bucketField('my_kv_bucket'),
      field.string('key', {
        default: '>',
        description: 'Key to watch for updates, can include wildcards.',
        examples: ['foo.bar.baz', 'foo.*.baz', 'foo.bar.*', 'foo.>'],
      }),
      field.bool('auto_replay_nacks', {
        default: true,
        description:
          'Whether messages that are rejected (nacked) at the output level should be automatically replayed indefinitely, eventually resulting in back pressure if the cause of the rejections is persistent. If set to `false` these messages will instead be deleted.',
      }),
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
    ],
  },
  create(config: KvInputConfig, context) {
    return autoReplayNacks(kvInput(config, context.label, context.logger), config.auto_replay_nacks)
  },
}
