import { parse } from '@bento-ts/bloblang'
import { EndOfInput, parseField } from '../component.ts'
import { pause } from '../concurrency.ts'
import { parseDuration } from '../duration.ts'
import { defineInput } from '../kit/declare.ts'
import { autoReplayNacksField } from '../kit/fields.ts'
import type { Message } from '../message.ts'
import { autoReplayNacks } from '../replay.ts'
import { field } from '../spec.ts'
import { applyMapping } from './mapping.ts'

const empty = { content: '' }

export const generateInput = defineInput({
  name: 'generate',
  status: 'stable',
  summary: 'Generates messages from a Bloblang mapping, at an interval or as fast as possible.',
  fields: [
    field.bloblang('mapping', {
      description: 'the mapping that creates each message (root, meta)',
      examples: ['root = "hello world"', 'root = {"test":"message","id":uuid_v4()}'],
    }),
    field.string('interval', {
      default: '1s',
      description: 'time between messages, or a cron expression; empty or 0s: as fast as possible',
    }),
    field.int('count', { default: 0, description: 'stop after this many messages (0: never)' }),
    field.int('batch_size', { default: 1, description: 'messages per batch' }),
    autoReplayNacksField(),
  ],
  create(config) {
    const executor = parseField('mapping', () => parse(config.mapping))
    const intervalMs =
      config.interval === '' ? 0 : parseField('interval', () => parseDuration(config.interval))
    let produced = 0
    let first = true
    const input = {
      connect: async () => {},
      close: async () => {},
      async read(signal: AbortSignal) {
        if (config.count > 0 && produced >= config.count) throw new EndOfInput()
        // The first message comes at once; later ones wait the interval.
        if (intervalMs > 0 && !first && !(await pause(intervalMs, signal))) throw new EndOfInput()
        first = false
        const size =
          config.count > 0 ? Math.min(config.batch_size, config.count - produced) : config.batch_size
        const batch: Message[] = []
        for (let i = 0; i < size; i++) {
          const message = applyMapping(executor, empty, {})
          if (message !== undefined) batch.push(message)
        }
        produced += size
        return { batch, ack: async () => {} }
      },
    }
    return autoReplayNacks(input, config.auto_replay_nacks)
  },
})
