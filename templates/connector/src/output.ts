// The CONNECTOR_ID output: each message is published with `PUB <queue> <payload>` and the server
// answers every line in order, `OK` or `ERR <reason>`. The skeleton holds the connection and
// gives the runtime max_in_flight and batching; this file only says how to write a batch and what
// a failure means: a lost connection is NotConnected (reconnect, write again), refused messages
// are a BatchError naming just them (only they are retried), anything else fails the batch.
import { BatchError, FieldError, field } from '@bento-ts/core'
import { batchingField, defineOutput, maxInFlightField, outputSkeleton } from '@bento-ts/core/kit'
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
    field.interpolated('queue', { default: 'default', description: 'The queue to publish to.' }),
    maxInFlightField(),
    batchingField,
  ],
  create(config) {
    try {
      splitAddress(config.address)
    } catch (err) {
      throw new FieldError('address', (err as Error).message)
    }
    if (/\s/.test(config.queue)) throw new FieldError('queue', 'a queue name has no spaces')
    return outputSkeleton(config, {
      connect: (signal) => openConnection(config.address, signal),
      disconnect: (connection) => connection.close(),
      async write(connection, batch) {
        for (const message of batch) connection.send(`PUB ${config.queue} ${encode(message.bytes())}`)
        // All replies are claimed before another write can send: replies pair with their lines.
        const replies = await Promise.all(batch.map(() => connection.next()))
        const refused: [number, Error][] = []
        replies.forEach((reply, i) => {
          if (reply !== 'OK') refused.push([i, new Error(`refused: ${reply.replace(/^ERR /, '')}`)])
        })
        if (refused.length > 0) throw new BatchError(batch, refused)
      },
    })
  },
})
