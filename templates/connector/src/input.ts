// The CONNECTOR_ID input: `SUB <queue>` asks the server for the queue's messages, which arrive as
// `MSG <id> <payload>` lines. A message is acknowledged (`ACK <id>`) only once its outputs
// succeeded, and handed back (`NACK <id>`) when they failed: the server delivers it again, so the
// input needs no replay of its own. What was not acknowledged when the connection dropped is
// delivered again by the server too.
import { FieldError, field, Message } from '@bento-ts/core'
import { batchingField, defineInput, inputSkeleton } from '@bento-ts/core/kit'
import { decode, openConnection, splitAddress } from './connection.ts'

export const input = defineInput({
  name: 'CONNECTOR_ID',
  status: 'experimental',
  categories: ['Services'],
  summary: 'Consumes messages from a queue of a line-protocol server.',
  description:
    'Messages carry the metadata `CONNECTOR_ID_id` (the server id of the delivery) and `CONNECTOR_ID_queue`.',
  fields: [
    field.string('address', {
      description: 'The server to connect to, as host:port.',
      examples: ['localhost:7000'],
    }),
    field.string('queue', { default: 'default', description: 'The queue to consume from.' }),
    batchingField,
  ],
  create(config, context) {
    try {
      splitAddress(config.address)
    } catch (err) {
      throw new FieldError('address', (err as Error).message)
    }
    return inputSkeleton(config, context, {
      async connect(signal) {
        const connection = await openConnection(config.address, signal)
        connection.send(`SUB ${config.queue}`)
        return connection
      },
      disconnect: (connection) => connection.close(),
      async read(connection, signal) {
        const line = await connection.next(signal)
        const [verb, id, payload] = line.split(' ')
        if (verb !== 'MSG' || id === undefined || payload === undefined)
          throw new Error(`unexpected line from the server: ${line}`)
        const message = new Message(decode(payload), [
          ['CONNECTOR_ID_id', id],
          ['CONNECTOR_ID_queue', config.queue],
        ])
        return {
          batch: [message],
          ack: async (error) => {
            try {
              connection.send(error === undefined ? `ACK ${id}` : `NACK ${id}`)
            } catch {
              // The connection is gone: the server delivers the message again.
            }
          },
        }
      },
    })
  },
})
