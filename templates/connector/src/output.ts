// The CONNECTOR_ID output: each message is published with `PUB <queue> <payload>` and the server
// answers every line in order, `OK` or `ERR <reason>`. The skeleton holds the connection and
// gives the runtime max_in_flight and batching; this file only says how to write a batch and what
// a failure means: a lost connection is NotConnected (reconnect, write again), refused messages
// are a BatchError naming just them (only they are retried), anything else fails the batch.
import { BatchError, FieldError, field } from '@bento-ts/core'
import {
  BatchView,
  batchingField,
  defineOutput,
  interpolation,
  maxInFlightField,
  outputSkeleton,
} from '@bento-ts/core/kit'
import { encode, openConnection, splitAddress } from './connection.ts'

export const output = defineOutput({
  name: 'CONNECTOR_ID',
  status: 'experimental',
  categories: ['Services'],
  summary: 'Publishes messages to a queue of a line-protocol server.',
  description:
    'Every message is sent as one `PUB` line and acknowledged by the server with `OK`; a message the server refuses (`ERR`) fails on its own, so a partly accepted batch is retried only for the refused messages.',
  fields: [
    field.string('address', {
      description: 'The server to connect to, as host:port.',
      examples: ['localhost:7000'],
    }),
    field.interpolated('queue', {
      default: 'default',
      description: 'The queue to publish to, rendered for each message.',
      examples: ['orders', '${! @kind }'],
    }),
    maxInFlightField(),
    batchingField,
  ],
  create(config) {
    try {
      splitAddress(config.address)
    } catch (err) {
      throw new FieldError('address', (err as Error).message)
    }
    const queue = interpolation('queue', config.queue)
    return outputSkeleton(config, {
      connect: (signal) => openConnection(config.address, signal),
      disconnect: (connection) => connection.close(),
      async write(connection, batch) {
        const view = new BatchView(batch)
        const failed: [number, Error][] = []
        const sent: number[] = []
        batch.forEach((message, i) => {
          // A queue that cannot be rendered fails its message alone; the others are still sent.
          let name: string
          try {
            name = queue.text(view, i)
            if (name === '' || /\s/.test(name)) throw new Error(`queue "${name}" is empty or has spaces`)
          } catch (err) {
            failed.push([i, err as Error])
            return
          }
          connection.send(`PUB ${name} ${encode(message.bytes())}`)
          sent.push(i)
        })
        // All replies are claimed before another write can send: replies pair with their lines.
        const replies = await Promise.all(sent.map(() => connection.next()))
        replies.forEach((reply, k) => {
          if (reply !== 'OK') failed.push([sent[k]!, new Error(`refused: ${reply.replace(/^ERR /, '')}`)])
        })
        if (failed.length > 0) throw new BatchError(batch, failed)
      },
    })
  },
})
