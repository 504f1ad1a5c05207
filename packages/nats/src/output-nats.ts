// `nats` output: publishes to a core NATS subject. Core NATS confirms nothing (a message nobody
// subscribes to is gone), so a write is done once the client took it. To keep the client's
// outgoing buffer bounded, every few thousand messages the writes wait for a round trip to the
// server (a flush), which also surfaces a dead connection.

import { type Batch, field, type Logger, NotConnected, type Output, type Plugin } from '@bento-ts/core'
import { BatchView, type MetadataIncludeConfig, metadataIncludeField } from '@bento-ts/core/kit'
import { type ConnectionConfig, connectionTailFields, type Link, openLink, urlsField } from './connection.ts'
import { headerWriter } from './headers.ts'
import { perMessage } from './render.ts'
import { outputTracingField } from './tracing.ts'

export interface NatsOutputConfig extends ConnectionConfig {
  subject: string
  headers: Record<string, string>
  metadata?: MetadataIncludeConfig
  max_in_flight: number
}

const component = 'nats'
/** messages published between two flushes */
const flushEvery = 4096
const settled = Promise.resolve()

export function natsOutput(c: NatsOutputConfig, label: string, logger: Logger): Output {
  const subjectOf = perMessage(c.subject, `${component}: subject`)
  const headers = headerWriter(component, c.headers, c.metadata)
  let link: Link | undefined
  let sinceFlush = 0
  let flushing: Promise<void> | undefined
  // Core NATS confirms nothing: a publish the client refuses later is lost, as it would be on the wire.
  const refused = (error: Error, subject: string): void => {
    logger.error(`${component}: publish to ${subject} failed: ${error.message}`)
  }

  const flush = (current: Link): Promise<void> => {
    current.outbox.flush()
    flushing ??= current.nc.flush().then(
      () => {
        flushing = undefined
      },
      (err: Error) => {
        flushing = undefined
        throw new NotConnected(`${component}: flush failed: ${err.message}`)
      },
    )
    return flushing
  }

  const publishAll = (current: Link, batch: Batch): void => {
    let view: BatchView | undefined
    const viewOf = () => {
      view ??= new BatchView(batch)
      return view
    }
    for (let i = 0; i < batch.length; i++) {
      const subject = subjectOf(viewOf, i)
      const h = headers.active ? headers.build(viewOf(), i) : undefined
      try {
        current.outbox.publish(subject, batch[i]!.bytes(), '', h, refused)
      } catch (err) {
        if (current.closed) throw new NotConnected(`${component}: connection closed`)
        throw new Error(`${component}: publish to ${subject}: ${(err as Error).message}`)
      }
    }
  }

  return {
    maxInFlight: c.max_in_flight,
    async connect(signal) {
      if (link !== undefined && !link.closed) {
        await link.whenUp(signal)
        return
      }
      link = await openLink(component, c, label, logger, signal)
    },

    write(batch) {
      if (link === undefined || !link.up) throw new NotConnected(`${component}: not connected`)
      publishAll(link, batch)
      sinceFlush += batch.length
      if (sinceFlush >= flushEvery) {
        sinceFlush = 0
        return flush(link)
      }
      return flushing ?? settled
    },

    async close() {
      await link?.close()
    },
  }
}

export const natsOutputPlugin: Plugin<'output'> = {
  spec: {
    name: 'nats',
    kind: 'output',
    status: 'stable',
    categories: ['Services'],
    summary: 'Publish to an NATS subject.',
    description:
      'This output will interpolate functions within the subject field. The connection name is the component label.',
    fields: [
      urlsField,
      field.interpolated('subject', { description: 'The subject to publish to.', examples: ['foo.bar.baz'] }),
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
        default: 64,
        description:
          'The maximum number of messages to have in flight at a given time. Increase this to improve throughput.',
      }),
      ...connectionTailFields,
      outputTracingField,
    ],
  },
  create: (config: NatsOutputConfig, context) => natsOutput(config, context.label, context.logger),
}
