// `nats_kv` output: puts each message as the value of its (interpolated) key. A put is a JetStream
// publish to the key's subject in the bucket's stream, so it goes through the same PubAck window
// as the `nats_jetstream` output; a write is done once the bucket stored the value.

import { field } from '@bento-ts/core'
import { BatchView, defineOutput, maxInFlightField, outputSkeleton } from '@bento-ts/core/kit'
import { connectionOptions, connectionTailFields, openLinkWith, urlsField } from './connection.ts'
import { bindBucket, bucketField, putSubject } from './kv.ts'
import { ackedLink, closeAckedLink } from './output-jetstream.ts'
import { deliverBatch } from './publisher.ts'
import { perMessage } from './render.ts'

const component = 'nats_kv'

const fields = [
  urlsField,
  bucketField,
  field.interpolated('key', {
    description: 'The key for each message.',
    examples: ['foo', 'foo.bar.baz', 'foo.${! json("meta.type") }'],
  }),
  maxInFlightField(1024),
  ...connectionTailFields,
] as const

export const kvOutput = defineOutput({
  name: 'nats_kv',
  status: 'stable',
  categories: ['Services'],
  summary: 'Put messages in a NATS key-value bucket.',
  description:
    'The field `key` supports interpolation functions, allowing you to create a unique key for each message. The connection name is the component label.',
  fields,
  create(config, context) {
    const options = connectionOptions(component, config, context.label)
    const keyOf = perMessage('key', config.key)
    return outputSkeleton(config, {
      connect: (signal) =>
        openLinkWith(component, options, context.logger, signal, async (link) => {
          const kv = await bindBucket(component, link, config.bucket)
          return { ...ackedLink(link), kv }
        }),
      write(c, batch, signal) {
        let view: BatchView | undefined
        const viewOf = () => {
          view ??= new BatchView(batch)
          return view
        }
        const putOne = (i: number) => {
          const key = keyOf(viewOf, i)
          let subject: string
          try {
            subject = putSubject(c.kv, key)
          } catch (err) {
            throw new Error(`${component}: key ${JSON.stringify(key)}: ${(err as Error).message}`)
          }
          return c.publisher.publish(subject, batch[i]!.bytes())
        }
        return deliverBatch(c.link, batch, putOne, signal)
      },
      disconnect: (c) => closeAckedLink(c),
    })
  },
})
