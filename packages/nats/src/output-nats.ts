// `nats` output: publishes to a core NATS subject. Core NATS confirms nothing (a message nobody
// subscribes to is gone), so a write is done once the client took it. To keep the client's
// outgoing buffer bounded, every few thousand messages the writes wait for a round trip to the
// server (a flush), which also surfaces a dead connection.

import { type Batch, BatchError, field, NotConnected } from '@bento-ts/core'
import { BatchView, defineOutput, maxInFlightField, outputSkeleton } from '@bento-ts/core/kit'
import { connectionOptions, connectionTailFields, type Link, openLink, urlsField } from './connection.ts'
import { headerFields, headerWriter } from './headers.ts'
import { perMessage } from './render.ts'
import { outputTracingField } from './tracing.ts'

const component = 'nats'
/** messages published between two flushes */
const flushEvery = 4096

const fields = [
  urlsField,
  field.interpolated('subject', { description: 'The subject to publish to.', examples: ['foo.bar.baz'] }),
  ...headerFields,
  maxInFlightField(64),
  ...connectionTailFields,
  outputTracingField,
] as const

export const natsOutput = defineOutput({
  name: 'nats',
  status: 'stable',
  categories: ['Services'],
  summary: 'Publish to an NATS subject.',
  description:
    'This output will interpolate functions within the subject field. The connection name is the component label.',
  fields,
  create(config, context) {
    const { logger } = context
    const options = connectionOptions(component, config, context.label)
    const subjectOf = perMessage('subject', config.subject)
    const headers = headerWriter(config.headers, config.metadata)
    let sinceFlush = 0
    let flushing: Promise<void> | undefined
    // Core NATS confirms nothing: a publish the client refuses later is lost, as it would be on the wire.
    const refused = (error: Error, subject: string): void => {
      logger.error(`${component}: publish to ${subject} failed: ${error.message}`)
    }

    const flush = (link: Link): Promise<void> => {
      link.outbox.flush()
      flushing ??= link.nc.flush().finally(() => {
        flushing = undefined
      })
      return flushing
    }

    /** Hands every message to the client; a message it refuses at once fails alone. */
    const publishAll = (link: Link, batch: Batch): void => {
      let view: BatchView | undefined
      const viewOf = () => {
        view ??= new BatchView(batch)
        return view
      }
      const failures: [number, Error][] = []
      for (let i = 0; i < batch.length; i++) {
        try {
          const subject = subjectOf(viewOf, i)
          const h = headers.active ? headers.build(viewOf(), i) : undefined
          try {
            link.outbox.publish(subject, batch[i]!.bytes(), '', h, refused)
          } catch (err) {
            if (link.closed) throw new NotConnected(`${component}: connection closed`)
            throw new Error(`${component}: publish to ${subject}: ${(err as Error).message}`)
          }
        } catch (err) {
          if (err instanceof NotConnected) throw err
          failures.push([i, err as Error])
        }
      }
      if (failures.length === batch.length) throw failures[0]![1]
      if (failures.length > 0) throw new BatchError(batch, failures)
    }

    return outputSkeleton(config, {
      connect: (signal) => openLink(component, options, logger, signal),
      async write(link, batch, signal) {
        // While the client reconnects by itself, writes wait (back-pressure), then publish.
        for (;;) {
          await link.whenUp(signal)
          publishAll(link, batch)
          sinceFlush += batch.length
          let waiting = flushing
          if (sinceFlush >= flushEvery) {
            sinceFlush = 0
            waiting = flush(link)
          }
          if (waiting === undefined) return
          try {
            await waiting
            return
          } catch (err) {
            if (link.closed || signal.aborted)
              throw new NotConnected(`${component}: flush failed: ${(err as Error).message}`)
            // The link dropped under the flush: what it carried may be lost, so publish again.
          }
        }
      },
      disconnect: (link) => link.close(),
    })
  },
})
