// `nats_jetstream` output: publishes each message to JetStream and reports it delivered once its
// PubAck came back. Up to `max_in_flight` writes wait for PubAcks at once, all on one connection.

import { type Batch, field, type Logger, NotConnected, type Output, type Plugin } from '@bento-ts/core'
import { BatchView, type MetadataIncludeConfig, metadataIncludeField } from '@bento-ts/core/kit'
import { type ConnectionConfig, connectionTailFields, type Link, openLink, urlsField } from './connection.ts'
import { headerWriter } from './headers.ts'
import { AckedPublisher, publishAll } from './publisher.ts'
import { perMessage } from './render.ts'
import { outputTracingField } from './tracing.ts'

export interface JetStreamOutputConfig extends ConnectionConfig {
  subject: string
  headers: Record<string, string>
  metadata?: MetadataIncludeConfig
  max_in_flight: number
}

const component = 'nats_jetstream'
/** how long a PubAck may take, as in the Go client */
export const pubAckTimeoutMs = 5000

export function jetStreamOutput(c: JetStreamOutputConfig, label: string, logger: Logger): Output {
  const subjectOf = perMessage(c.subject, `${component}: subject`)
  const headers = headerWriter(component, c.headers, c.metadata)
  let link: Link | undefined
  let publisher: AckedPublisher | undefined

  const publishOne = (p: AckedPublisher, batch: Batch, view: () => BatchView, i: number): Promise<void> => {
    const to = subjectOf(view, i)
    return p.publish(to, batch[i]!.bytes(), headers.active ? headers.build(view(), i) : undefined)
  }

  return {
    maxInFlight: c.max_in_flight,
    async connect(signal) {
      if (link !== undefined && !link.closed) {
        await link.whenUp(signal)
        return
      }
      publisher?.close(new NotConnected(`${component}: connection closed`))
      const opened = await openLink(component, c, label, logger, signal)
      const p = new AckedPublisher(opened.nc, opened.outbox, component, pubAckTimeoutMs)
      // PubAcks of what was out when the link dropped may never come: send those again.
      opened.onDown(() => p.failAll(new NotConnected(`${component}: connection lost before the PubAck`)))
      link = opened
      publisher = p
    },

    write(batch) {
      const p = publisher
      if (p === undefined || link === undefined || !link.up)
        throw new NotConnected(`${component}: not connected`)
      let view: BatchView | undefined
      const viewOf = () => {
        view ??= new BatchView(batch)
        return view
      }
      return publishAll(batch.length, (i) => publishOne(p, batch, viewOf, i))
    },

    async close() {
      publisher?.close(new NotConnected(`${component}: closed`))
      publisher = undefined
      await link?.close()
    },
  }
}

export const jetStreamOutputPlugin: Plugin<'output'> = {
  spec: {
    name: 'nats_jetstream',
    kind: 'output',
    status: 'stable',
    categories: ['Services'],
    summary: 'Write messages to a NATS JetStream subject.',
    description:
      'A write succeeds once JetStream acknowledged storing the message (its PubAck). The connection name is the component label.',
    fields: [
      urlsField,
      field.interpolated('subject', {
        description: 'A subject to write to.',
        examples: ['foo.bar.baz', '${! metadata("kafka_topic") }', 'foo.${! json("meta.type") }'],
      }),
      field.map('headers', 'string', {
        default: {},
        interpolated: true,
        description: 'Explicit message headers to add to messages.',
        examples: [{ 'Content-Type': 'application/json', Timestamp: '${!metadata("Timestamp").string()}' }],
      }),
      metadataIncludeField(
        'Determine which (if any) metadata values should be added to messages as headers.',
      ),
      field.int('max_in_flight', {
        default: 1024,
        description:
          'The maximum number of messages to have in flight at a given time. Increase this to improve throughput.',
      }),
      ...connectionTailFields,
      outputTracingField,
    ],
  },
  create: (config: JetStreamOutputConfig, context) => jetStreamOutput(config, context.label, context.logger),
}
