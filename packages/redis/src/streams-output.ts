// `redis_streams` output: XADD of each message, the payload under `body_key` and the metadata as
// the other fields (the body wins a name clash), the commands of a batch in one pipeline.
import { batchingField, field, type Plugin } from '@bento-ts/core'
import { interpolated, metadataExcludeField, metadataExcludeFilter } from '@bento-ts/core/kit'
import { payloadOf, type RedisConfig, redisClientFields } from './client.ts'
import { type Command, redisOutput } from './output.ts'

export interface StreamsOutputConfig extends RedisConfig {
  stream: string
  body_key: string
  max_length: number
  max_in_flight: number
  metadata: { exclude_prefixes: string[] }
}

export const redisStreamsOutputPlugin: Plugin<'output'> = {
  spec: {
    name: 'redis_streams',
    kind: 'output',
    status: 'stable',
    categories: ['Services'],
    summary:
      "Pushes messages to a Redis (v5.0+) Stream (which is created if it doesn't already exist) using the XADD command.",
    description:
      "It's possible to specify a maximum length of the target stream by setting it to a value greater than 0, in which case this cap is applied only when Redis is able to remove a whole macro node, for efficiency.\n\nRedis stream entries are key/value pairs, as such it is necessary to specify the key to be set to the body of the message. All metadata fields of the message will also be set as key/value pairs, if there is a key collision between a metadata item and the body then the body takes precedence.",
    fields: [
      ...redisClientFields,
      field.interpolated('stream', { description: 'The stream to add messages to.' }),
      field.string('body_key', {
        default: 'body',
        description: 'A key to set the raw body of the message to.',
      }),
      field.int('max_length', {
        default: 0,
        description: 'When greater than zero enforces a rough cap on the length of the target stream.',
      }),
      field.int('max_in_flight', {
        default: 64,
        description:
          'The maximum number of messages to have in flight at a given time. Increase this to improve throughput.',
      }),
      metadataExcludeField('Specify criteria for which metadata values are included in the message body.'),
      batchingField,
    ],
  },
  create(c: StreamsOutputConfig, context) {
    const stream = interpolated(c.stream, 'stream')
    const keep = metadataExcludeFilter(c.metadata)
    const cap: (string | number)[] = c.max_length > 0 ? ['MAXLEN', '~', c.max_length] : []
    return redisOutput('redis_streams', c, context, (batch, view) =>
      batch.map((message, i): Command => {
        let name: string
        try {
          name = stream.text(view, i)
        } catch (err) {
          throw new Error(`stream interpolation error: ${(err as Error).message}`)
        }
        const command: Command = ['XADD', name, ...cap, '*']
        for (const key of message.metadata.keys()) {
          if (key !== c.body_key && keep(key)) command.push(key, message.metaString(key) ?? '')
        }
        command.push(c.body_key, payloadOf(message))
        return command
      }),
    )
  },
}
