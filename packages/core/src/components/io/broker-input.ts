import { parse as parseMapping } from '@bento-ts/bloblang'
import {
  type AckFn,
  type ComponentContext,
  EndOfInput,
  FieldError,
  type Input,
  InputDraining,
  NotConnected,
  type Processor,
} from '../../component.ts'
import { backoffDelays, isAbort, pause } from '../../concurrency.ts'
import { parseDuration } from '../../duration.ts'
import { defineInput } from '../../kit/declare.ts'
import { batchingField } from '../../kit/fields.ts'
import type { Logger } from '../../logger.ts'
import { type Batch, batchBytes, type Message } from '../../message.ts'
import { runProcessors } from '../../pipeline.ts'
import { type BatchPolicy, policyEnabled } from '../../sink.ts'
import { type ConfigOf, field } from '../../spec.ts'
import { Channel, ChannelClosed } from './channel.ts'

interface Read {
  batch: Batch
  ack: AckFn
}

/**
 * Handed through the fan-in by a child that ran dry but waits for its last deliveries: the reader
 * must hear it (as InputDraining), or a partial batch held downstream waits for the child forever.
 */
const draining = Symbol('draining')
type Item = Read | typeof draining

/**
 * Reads one child input until it ends, handing each batch to the channel (waiting for a taker).
 * Connection and read failures back off 100 ms → 1 s, as the stream does for its own input.
 */
async function pump(input: Input, into: Channel<Item>, signal: AbortSignal, logger: Logger): Promise<void> {
  const delay = backoffDelays({ initialMs: 100, maxMs: 1000 })
  let connected = false
  while (!signal.aborted) {
    if (!connected) {
      try {
        await input.connect(signal)
        connected = true
      } catch (err) {
        if (signal.aborted) return
        logger.error(`Failed to connect to broker child input: ${(err as Error).message}`)
        await pause(delay(), signal)
        continue
      }
    }
    let read: Read
    try {
      read = await input.read(signal)
    } catch (err) {
      if (err instanceof EndOfInput || signal.aborted || isAbort(err)) return
      // A child waiting for its last deliveries: say so downstream, then read again (that read
      // waits for them).
      if (err instanceof InputDraining) {
        if (!(await into.send(draining, signal))) return
        continue
      }
      if (err instanceof NotConnected) connected = false
      else logger.error(`Failed to read from broker child input: ${(err as Error).message}`)
      await pause(delay(), signal)
      continue
    }
    if (!(await into.send(read, signal))) {
      // Never handed on: nack it so its source keeps it.
      await read.ack(new Error('broker input is shutting down')).catch(() => {})
      return
    }
  }
}

/** Fan-in of child inputs: whichever has a batch first is read first; ends when all have ended. */
export function fanInInput(children: readonly Input[], logger: Logger): Input {
  const channel = new Channel<Item>()
  const stopping = new AbortController()
  let started: Promise<void> | undefined
  const start = () => {
    started ??= Promise.all(children.map((c) => pump(c, channel, stopping.signal, logger))).then(() =>
      channel.close(),
    )
  }
  return {
    async connect() {
      start()
    },
    async read(signal) {
      start()
      try {
        const item = await channel.receive(signal)
        if (item === draining) throw new InputDraining()
        return item
      } catch (err) {
        if (err instanceof ChannelClosed) throw new EndOfInput()
        throw err
      }
    },
    async close() {
      stopping.abort()
      channel.close()
      await started
      await Promise.allSettled(children.map((c) => c.close()))
    },
  }
}

const ackAll =
  (acks: AckFn[]): AckFn =>
  async (error) => {
    await Promise.all(acks.map((a) => a(error)))
  }

/**
 * Groups what an input reads into batches by a batching policy. A read batch is never split; the
 * grouped batch acknowledges every read it holds. A partial batch is handed on when the period
 * passes, the input ends, or reading stops.
 */
export function batchedInput(input: Input, policy: BatchPolicy, processors: readonly Processor[]): Input {
  const periodMs = policy.period === '' ? 0 : parseDuration(policy.period)
  const check = policy.check === '' ? undefined : parseMapping(policy.check)
  let ended = false
  const triggers = (messages: Message[], bytes: number, last: Message): boolean => {
    if (policy.count > 0 && messages.length >= policy.count) return true
    if (policy.byte_size > 0 && bytes >= policy.byte_size) return true
    if (check !== undefined) {
      try {
        return check.query(last.structured()) === true
      } catch {
        return false
      }
    }
    return false
  }
  const finish = async (messages: Message[], acks: AckFn[]) => {
    let batch: Batch = messages
    if (processors.length > 0) batch = (await runProcessors(processors, messages)).flat()
    return { batch, ack: ackAll(acks) }
  }
  return {
    connect: (signal) => input.connect(signal),
    close: () => input.close(),
    async read(signal) {
      if (ended) throw new EndOfInput()
      const messages: Message[] = []
      const acks: AckFn[] = []
      let bytes = 0
      let period: AbortController | undefined
      let timer: NodeJS.Timeout | undefined
      try {
        for (;;) {
          const signals = period === undefined ? signal : AbortSignal.any([signal, period.signal])
          let read: Read
          try {
            read = await input.read(signals)
          } catch (err) {
            if (err instanceof EndOfInput) {
              ended = true
              if (messages.length > 0) return await finish(messages, acks)
              throw err
            }
            // The input waits for its last deliveries: the partial batch must go now.
            if (err instanceof InputDraining && messages.length > 0) return await finish(messages, acks)
            // The period passed, or reading stops: what was gathered still goes on.
            if ((period?.signal.aborted === true || signal.aborted) && messages.length > 0) {
              return await finish(messages, acks)
            }
            throw err
          }
          if (read.batch.length === 0) {
            await read.ack()
            continue
          }
          acks.push(read.ack)
          for (const m of read.batch) messages.push(m)
          bytes += batchBytes(read.batch)
          if (triggers(messages, bytes, read.batch.at(-1)!)) return await finish(messages, acks)
          if (period === undefined && periodMs > 0) {
            const controller = new AbortController()
            period = controller
            timer = setTimeout(() => controller.abort(), periodMs)
          }
        }
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

const brokerInputFields = [
  field.int('copies', {
    default: 1,
    advanced: true,
    description: 'Whatever is specified within `inputs` will be created this many times.',
  }),
  field.array('inputs', 'input', { description: 'A list of inputs to create.' }),
  batchingField,
] as const

export async function createBrokerInput(
  config: ConfigOf<typeof brokerInputFields>,
  context: ComponentContext,
): Promise<Input> {
  if (config.inputs.length === 0)
    throw new FieldError('inputs', 'attempting to create broker input type with no inputs')
  const children: Input[] = []
  for (let copy = 0; copy < Math.max(1, config.copies); copy++) {
    for (const parsed of config.inputs) children.push(await context.build.input(parsed))
  }
  const input = fanInInput(children, context.logger)
  if (!policyEnabled(config.batching)) return input
  const processors = await context.build.processors(config.batching.processors ?? [])
  return batchedInput(input, { ...config.batching, processors }, processors)
}

export const brokerInputPlugin = defineInput({
  name: 'broker',
  status: 'stable',
  categories: ['Utility'],
  summary:
    'Allows you to combine multiple inputs into a single stream of data, where each input will be read in parallel.',
  description:
    'A broker type is configured with its own list of input configurations and a field to specify how many copies of the list of inputs should be created. Adding more input types allows you to combine streams from multiple sources into one.',
  fields: brokerInputFields,
  create: createBrokerInput,
})
