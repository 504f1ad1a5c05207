// `redis_pubsub` output: PUBLISH of each message to an interpolated channel.
import { batchingField, field, type Plugin } from '@bento-ts/core'
import { interpolated } from '@bento-ts/core/kit'
import { payloadOf, type RedisConfig, redisClientFields } from './client.ts'
import { type Command, redisOutput } from './output.ts'

export interface PubSubOutputConfig extends RedisConfig {
  channel: string
  max_in_flight: number
}

export const redisPubSubOutputPlugin: Plugin<'output'> = {
  spec: {
    name: 'redis_pubsub',
    kind: 'output',
    status: 'stable',
    categories: ['Services'],
    summary:
      'Publishes messages through the Redis PubSub model. It is not possible to guarantee that messages have been received.',
    description: 'This output will interpolate functions within the channel field.',
    fields: [
      ...redisClientFields,
      field.interpolated('channel', { description: 'The channel to publish messages to.' }),
      field.int('max_in_flight', {
        default: 64,
        description:
          'The maximum number of messages to have in flight at a given time. Increase this to improve throughput.',
      }),
      batchingField,
    ],
  },
  create(c: PubSubOutputConfig, context) {
    const channel = interpolated(c.channel, 'channel')
    return redisOutput('redis_pubsub', c, context, (batch, view) =>
      batch.map((message, i): Command => {
        let name: string
        try {
          name = channel.text(view, i)
        } catch (err) {
          throw new Error(`channel interpolation error: ${(err as Error).message}`)
        }
        return ['PUBLISH', name, payloadOf(message)]
      }),
    )
  },
}
