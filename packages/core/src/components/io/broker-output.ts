import { type ComponentContext, FieldError, type Output } from '../../component.ts'
import { defineOutput } from '../../kit/declare.ts'
import { batchingField } from '../../kit/fields.ts'
import type { Batch } from '../../message.ts'
import { type ConfigOf, field } from '../../spec.ts'
import { indefiniteBackoff, RetryingOutput } from './retry.ts'

export const brokerPatterns = [
  'fan_out',
  'fan_out_fail_fast',
  'fan_out_sequential',
  'fan_out_sequential_fail_fast',
  'round_robin',
  'greedy',
] as const
export type BrokerPattern = (typeof brokerPatterns)[number]

const copies = (batch: Batch): Batch => batch.map((m) => m.copy())

/**
 * Routes each batch to child outputs by pattern. With `fan_out` and `fan_out_sequential` the
 * children are retry-wrapped: a child that fails is retried alone until it succeeds, so the batch
 * is never written twice to a child that already took it and the write as a whole does not fail.
 */
export function brokerOutput(pattern: BrokerPattern, children: readonly Output[]): Output {
  const close = async () => {
    await Promise.allSettled(children.map((c) => c.close()))
  }
  const connect = async () => {}
  switch (pattern) {
    case 'fan_out':
    case 'fan_out_fail_fast':
      return {
        connect,
        close,
        async write(batch, signal) {
          await Promise.all(children.map((c) => c.write(copies(batch), signal)))
        },
      }
    case 'fan_out_sequential':
    case 'fan_out_sequential_fail_fast':
      return {
        connect,
        close,
        async write(batch, signal) {
          for (const child of children) await child.write(copies(batch), signal)
        },
      }
    case 'round_robin': {
      let next = 0
      return {
        connect,
        close,
        write(batch, signal) {
          const child = children[next]!
          next = (next + 1) % children.length
          return child.write(batch, signal)
        },
      }
    }
    case 'greedy': {
      // Each batch goes to the child with the fewest writes under way: the ones that keep up get more.
      const busy = children.map(() => 0)
      return {
        connect,
        close,
        async write(batch, signal) {
          let pick = 0
          for (let i = 1; i < busy.length; i++) if (busy[i]! < busy[pick]!) pick = i
          busy[pick]!++
          try {
            await children[pick]!.write(batch, signal)
          } finally {
            busy[pick]!--
          }
        },
      }
    }
  }
}

const brokerOutputFields = [
  field.int('copies', {
    default: 1,
    advanced: true,
    description: 'The number of copies of each configured output to spawn.',
  }),
  field.string('pattern', {
    default: 'fan_out',
    options: brokerPatterns,
    description: 'The brokering pattern to use.',
  }),
  field.array('outputs', 'output', {
    description:
      'A list of child outputs to broker. Each item can be either a complete inline output configuration or a reference to an output resource.',
  }),
  batchingField,
] as const

/** The children by pattern; the broker's own `batching` is the plugin's business (the runtime applies it). */
export async function createBrokerOutput(
  config: Omit<ConfigOf<typeof brokerOutputFields>, 'batching'>,
  context: ComponentContext,
  retryBackoff: () => () => number | undefined = indefiniteBackoff,
): Promise<Output> {
  if (!brokerPatterns.includes(config.pattern)) {
    throw new FieldError('pattern', `broker pattern was not recognised: ${config.pattern}`)
  }
  const retried = config.pattern === 'fan_out' || config.pattern === 'fan_out_sequential'
  const children: Output[] = []
  for (let copy = 0; copy < Math.max(0, config.copies); copy++) {
    for (const parsed of config.outputs) {
      const child = await context.build.output(parsed)
      children.push(retried ? new RetryingOutput(child, retryBackoff, context.logger) : child)
    }
  }
  if (children.length === 0)
    throw new FieldError('outputs', 'attempting to create broker output type with no outputs')
  if (children.length === 1) return children[0]!
  return brokerOutput(config.pattern, children)
}

export const brokerOutputPlugin = defineOutput({
  name: 'broker',
  status: 'stable',
  categories: ['Utility'],
  summary: 'Allows you to route messages to multiple child outputs using a range of brokering patterns.',
  description:
    '`fan_out`: every output gets every message in parallel; a failed output is retried alone until it succeeds. `fan_out_fail_fast`: the same without retries (the first failure fails the message). `fan_out_sequential`: outputs in order, each after the previous one took the message, with retries; `fan_out_sequential_fail_fast` without. `round_robin`: each message to the next output in turn. `greedy`: each message to the output most ready for it.',
  fields: brokerOutputFields,
  async create(config, context): Promise<Output> {
    const routed = await createBrokerOutput(config, context)
    // The broker's batching groups messages before they are routed: the runtime reads it here.
    return {
      connect: (signal) => routed.connect(signal),
      write: (batch, signal) => routed.write(batch, signal),
      close: () => routed.close(),
      batching: config.batching,
    }
  },
})
