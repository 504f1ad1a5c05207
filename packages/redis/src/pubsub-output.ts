// `redis_pubsub` output: PUBLISH of each message to an interpolated channel.
import { field } from '@bento-ts/core'
import { batchingField, defineOutput, interpolation, maxInFlightField } from '@bento-ts/core/kit'
import { payloadOf, redisClientFields } from './client.ts'
import { perMessage, redisOutput } from './output.ts'

export const redisPubSubOutputPlugin = defineOutput({
  name: 'redis_pubsub',
  status: 'stable',
  categories: ['Services'],
  summary:
    'Publishes messages through the Redis PubSub model. It is not possible to guarantee that messages have been received.',
  description: 'This output will interpolate functions within the channel field.',
  fields: [
    ...redisClientFields,
    field.interpolated('channel', { description: 'The channel to publish messages to.' }),
    maxInFlightField(),
    batchingField,
  ],
  create(config, context) {
    const channel = interpolation('channel', config.channel)
    return redisOutput(
      'redis_pubsub',
      config,
      context,
      perMessage((message, i, view) => ['PUBLISH', channel.text(view, i), payloadOf(message)]),
    )
  },
})
