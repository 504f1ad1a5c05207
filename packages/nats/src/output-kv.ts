// `nats_kv` output: puts each message as the value of its (interpolated) key. A put is a JetStream
// publish to the key's subject in the bucket's stream, so it goes through the same PubAck window
// as the `nats_jetstream` output; a write is done once the bucket stored the value.

import { type Batch, field, type Logger, NotConnected, type Output, type Plugin } from '@bento-ts/core'
import { BatchView } from '@bento-ts/core/kit'
import type { KV } from 'nats'
import { type ConnectionConfig, connectionTailFields, type Link, openLink, urlsField } from './connection.ts'
import { bindBucket, bucketField, putSubject } from './kv.ts'
import { pubAckTimeoutMs } from './output-jetstream.ts'
import { AckedPublisher, publishAll } from './publisher.ts'
import { perMessage } from './render.ts'

export interface KvOutputConfig extends ConnectionConfig {
  bucket: string
  key: string
  max_in_flight: number
}

const component = 'nats_kv'

export function kvOutput(c: KvOutputConfig, label: string, logger: Logger): Output {
  const keyOf = perMessage(c.key, `${component}: key`)
  let link: Link | undefined
  let publisher: AckedPublisher | undefined
  let kv: KV | undefined

  const putOne = (p: AckedPublisher, bucket: KV, batch: Batch, view: () => BatchView, i: number) => {
    const key = keyOf(view, i)
    let subject: string
    try {
      subject = putSubject(bucket, key)
    } catch (err) {
      throw new Error(`${component}: key ${JSON.stringify(key)}: ${(err as Error).message}`)
    }
    return p.publish(subject, batch[i]!.bytes())
  }

  return {
    maxInFlight: c.max_in_flight,
    async connect(signal) {
      if (link !== undefined && !link.closed && kv !== undefined) {
        await link.whenUp(signal)
        return
      }
      publisher?.close(new NotConnected(`${component}: connection closed`))
      if (link === undefined || link.closed) link = await openLink(component, c, label, logger, signal)
      const opened = link
      kv = await bindBucket(component, opened, c.bucket)
      const p = new AckedPublisher(opened.nc, opened.outbox, component, pubAckTimeoutMs)
      opened.onDown(() => p.failAll(new NotConnected(`${component}: connection lost before the PubAck`)))
      publisher = p
    },

    write(batch) {
      const p = publisher
      const bucket = kv
      if (p === undefined || bucket === undefined || link === undefined || !link.up)
        throw new NotConnected(`${component}: not connected`)
      let view: BatchView | undefined
      const viewOf = () => {
        view ??= new BatchView(batch)
        return view
      }
      return publishAll(batch.length, (i) => putOne(p, bucket, batch, viewOf, i))
    },

    async close() {
      publisher?.close(new NotConnected(`${component}: closed`))
      publisher = undefined
      await link?.close()
    },
  }
}

export const kvOutputPlugin: Plugin<'output'> = {
  spec: {
    name: 'nats_kv',
    kind: 'output',
    status: 'stable',
    categories: ['Services'],
    summary: 'Put messages in a NATS key-value bucket.',
    description:
      'The field `key` supports interpolation functions, allowing you to create a unique key for each message. The connection name is the component label.',
    fields: [
      urlsField,
      bucketField('my_kv_bucket'),
      field.interpolated('key', {
        description: 'The key for each message.',
        examples: ['foo', 'foo.bar.baz', 'foo.${! json("meta.type") }'],
      }),
      field.int('max_in_flight', {
        default: 1024,
        description:
          'The maximum number of messages to have in flight at a given time. Increase this to improve throughput.',
      }),
      ...connectionTailFields,
    ],
  },
  create: (config: KvOutputConfig, context) => kvOutput(config, context.label, context.logger),
}
