// `nats_jetstream` output: publishes each message to JetStream and reports it delivered once its
// PubAck came back. Up to `max_in_flight` writes wait for PubAcks at once, all on one connection.

import { type Batch, field, NotConnected } from '@bento-ts/core'
import { BatchView, defineOutput, maxInFlightField, outputSkeleton } from '@bento-ts/core/kit'
import { connectionOptions, connectionTailFields, type Link, openLink, urlsField } from './connection.ts'
import { headerFields, headerWriter } from './headers.ts'
import { AckedPublisher, deliverBatch } from './publisher.ts'
import { perMessage } from './render.ts'
import { outputTracingField } from './tracing.ts'

const component = 'nats_jetstream'
/** how long a PubAck may take, as in the Go client */
export const pubAckTimeoutMs = 5000

/** A connection with its PubAck window; the PubAcks of what is out when the link drops are failed. */
export interface AckedLink {
  link: Link
  publisher: AckedPublisher
}

export function ackedLink(link: Link): AckedLink {
  const publisher = new AckedPublisher(link.nc, link.outbox, component, pubAckTimeoutMs)
  // PubAcks of what was out when the link dropped may never come: those are sent again.
  link.onDown(() => publisher.failAll(new NotConnected(`${component}: connection lost before the PubAck`)))
  return { link, publisher }
}

export async function closeAckedLink(c: AckedLink): Promise<void> {
  c.publisher.close(new NotConnected(`${component}: closed`))
  await c.link.close()
}

const fields = [
  urlsField,
  field.interpolated('subject', {
    description: 'A subject to write to.',
    examples: ['foo.bar.baz', '${! metadata("kafka_topic") }', 'foo.${! json("meta.type") }'],
  }),
  ...headerFields,
  maxInFlightField(1024),
  ...connectionTailFields,
  outputTracingField,
] as const

export const jetStreamOutput = defineOutput({
  name: 'nats_jetstream',
  status: 'stable',
  categories: ['Services'],
  summary: 'Write messages to a NATS JetStream subject.',
  description:
    'A write succeeds once JetStream acknowledged storing the message (its PubAck). When only some messages of a batch were stored, only the others fail (and are sent again). The connection name is the component label.',
  fields,
  create(config, context) {
    const options = connectionOptions(component, config, context.label)
    const subjectOf = perMessage('subject', config.subject)
    const headers = headerWriter(config.headers, config.metadata)
    const publishOne = (p: AckedPublisher, batch: Batch, view: () => BatchView, i: number): Promise<void> =>
      p.publish(subjectOf(view, i), batch[i]!.bytes(), headers.active ? headers.build(view(), i) : undefined)
    return outputSkeleton(config, {
      connect: async (signal) => ackedLink(await openLink(component, options, context.logger, signal)),
      write(c, batch, signal) {
        let view: BatchView | undefined
        const viewOf = () => {
          view ??= new BatchView(batch)
          return view
        }
        return deliverBatch(c.link, batch, (i) => publishOne(c.publisher, batch, viewOf, i), signal)
      },
      disconnect: closeAckedLink,
    })
  },
})
