// `redis_list` output: RPUSH (or LPUSH) of each message to an interpolated key; consecutive
// messages of a batch bound for the same list go in one command, in order.
import { field } from '@bento-ts/core'
import { batchingField, defineOutput, interpolation, maxInFlightField } from '@bento-ts/core/kit'
import { payloadOf, redisClientFields } from './client.ts'
import { type Plan, redisOutput, type Write } from './output.ts'

export const redisListOutputPlugin = defineOutput({
  name: 'redis_list',
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
    maxInFlightField(),
    batchingField,
    field.string('command', {
      default: 'rpush',
      options: ['rpush', 'lpush'],
      advanced: true,
      description: 'The command used to push elements to the Redis list',
    }),
  ],
  create(config, context) {
    const key = interpolation('key', config.key)
    const verb = config.command === 'lpush' ? 'LPUSH' : 'RPUSH'
    return redisOutput('redis_list', config, context, (batch, view) => {
      const plan: Plan = { writes: [], failures: [] }
      let last: (Write & { messages: number[] }) | undefined
      batch.forEach((message, i) => {
        let name: string
        try {
          name = key.text(view, i)
        } catch (err) {
          plan.failures.push([i, err as Error])
          return
        }
        const value = payloadOf(message)
        if (last !== undefined && last.command[1] === name) {
          last.command.push(value)
          last.messages.push(i)
        } else {
          last = { command: [verb, name, value], messages: [i] }
          plan.writes.push(last)
        }
      })
      return plan
    })
  },
})
