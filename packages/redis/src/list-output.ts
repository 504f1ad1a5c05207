// `redis_list` output: RPUSH (or LPUSH) of each message to an interpolated key; consecutive
// messages of a batch bound for the same list go in one command, in order.
import { batchingField, field, type Plugin } from '@bento-ts/core'
import { interpolated } from '@bento-ts/core/kit'
import { payloadOf, type RedisConfig, redisClientFields } from './client.ts'
import { type Command, redisOutput } from './output.ts'

export interface ListOutputConfig extends RedisConfig {
  key: string
  max_in_flight: number
  command: 'rpush' | 'lpush'
}

export const redisListOutputPlugin: Plugin<'output'> = {
  spec: {
    name: 'redis_list',
    kind: 'output',
    status: 'stable',
    categories: ['Services'],
    summary:
      "Pushes messages onto the end of a Redis list (which is created if it doesn't already exist) using the RPUSH command.",
    description:
      'The field `key` supports interpolation functions, allowing you to create a unique key for each message.',
    fields: [
      ...redisClientFields,
      field.interpolated('key', {
        description:
          'The key for each message, function interpolations can be optionally used to create a unique key per message.',
        examples: ['some_list', '${! @.kafka_key }', '${! this.doc.id }', '${! count("msgs") }'],
      }),
      field.int('max_in_flight', {
        default: 64,
        description:
          'The maximum number of messages to have in flight at a given time. Increase this to improve throughput.',
      }),
      batchingField,
      field.string('command', {
        default: 'rpush',
        options: ['rpush', 'lpush'],
        advanced: true,
        description: 'The command used to push elements to the Redis list',
      }),
    ],
  },
  create(c: ListOutputConfig, context) {
    const key = interpolated(c.key, 'key')
    const verb = c.command === 'lpush' ? 'LPUSH' : 'RPUSH'
    return redisOutput('redis_list', c, context, (batch, view) => {
      const commands: Command[] = []
      let last: Command | undefined
      batch.forEach((message, i) => {
        let name: string
        try {
          name = key.text(view, i)
        } catch (err) {
          throw new Error(`key interpolation error: ${(err as Error).message}`)
        }
        const value = payloadOf(message)
        if (last !== undefined && last[1] === name) last.push(value)
        else {
          last = [verb, name, value]
          commands.push(last)
        }
      })
      return commands
    })
  },
}
