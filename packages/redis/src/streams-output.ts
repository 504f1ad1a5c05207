// `redis_streams` output: XADD of each message, the payload under `body_key` and the metadata as
// the other fields (the body wins a name clash), the commands of a batch in one pipeline.
import { field } from '@bento-ts/core'
import {
  batchingField,
  defineOutput,
  interpolation,
  maxInFlightField,
  metadataExcludeField,
  metadataExcludeFilter,
} from '@bento-ts/core/kit'
import { payloadOf, redisClientFields } from './client.ts'
import { type Command, perMessage, redisOutput } from './output.ts'

export const redisStreamsOutputPlugin = defineOutput({
  name: 'redis_streams',
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
    maxInFlightField(),
    metadataExcludeField('Specify criteria for which metadata values are included in the message body.'),
    batchingField,
  ],
  create(config, context) {
    const stream = interpolation('stream', config.stream)
    const keep = metadataExcludeFilter(config.metadata)
    const cap: (string | number)[] = config.max_length > 0 ? ['MAXLEN', '~', config.max_length] : []
    return redisOutput(
      'redis_streams',
      config,
      context,
      perMessage((message, i, view) => {
        const command: Command = ['XADD', stream.text(view, i), ...cap, '*']
        for (const key of message.metadata.keys()) {
          if (key !== config.body_key && keep(key)) command.push(key, message.metaString(key) ?? '')
        }
        command.push(config.body_key, payloadOf(message))
        return command
      }),
    )
  },
})
