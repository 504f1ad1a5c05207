// `inproc`: a named in-process pipe from the `inproc` output of one stream to `inproc` inputs of
// others. The output's write is settled by the receiving input's ack, so backpressure and
// delivery results flow back across the pipe. One output owns an id at a time (a new one replaces
// it); several inputs on one id share its messages round robin.

import type { AckFn, Input, Output } from '../../component.ts'
import { defineInput, defineOutput } from '../../kit/declare.ts'
import type { Logger } from '../../logger.ts'
import type { Batch } from '../../message.ts'
import { field } from '../../spec.ts'
import { Channel, ChannelClosed, onAbort } from './channel.ts'

export interface Transaction {
  batch: Batch
  ack: AckFn
}

type Pipe = Channel<Transaction>

const pipes = new Map<string, Pipe>()
const pipeWaiters = new Map<string, Set<() => void>>()

function setPipe(name: string, pipe: Pipe): void {
  pipes.set(name, pipe)
  const waiting = pipeWaiters.get(name)
  if (waiting !== undefined) for (const wake of [...waiting]) wake()
}

function unsetPipe(name: string, pipe: Pipe): void {
  if (pipes.get(name) === pipe) pipes.delete(name)
}

/** The pipe registered under a name, waiting for one to be registered. */
async function getPipe(name: string, signal: AbortSignal, logger: Logger): Promise<Pipe> {
  let logged = false
  for (;;) {
    const pipe = pipes.get(name)
    if (pipe !== undefined && !pipe.closed) return pipe
    if (!logged) {
      logger.error(`Failed to connect to inproc output '${name}': pipe was not found`)
      logged = true
    }
    signal.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      let waiting = pipeWaiters.get(name)
      if (waiting === undefined) {
        waiting = new Set()
        pipeWaiters.set(name, waiting)
      }
      const set = waiting
      const done = () => {
        set.delete(wake)
        if (set.size === 0 && pipeWaiters.get(name) === set) pipeWaiters.delete(name)
        signal.removeEventListener('abort', onAbort)
      }
      const wake = () => {
        done()
        resolve()
      }
      const onAbort = () => {
        done()
        reject(signal.reason)
      }
      set.add(wake)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}

export function inprocOutput(name: string, logger: Logger): Output {
  const pipe: Pipe = new Channel()
  setPipe(name, pipe)
  logger.info(`Sending inproc messages to ID: ${name}`)
  return {
    connect: async () => {},
    write(batch, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        let settled = false
        const settle = (error?: Error) => {
          if (settled) return
          settled = true
          unsubscribe()
          if (error === undefined) resolve()
          else reject(error)
        }
        const unsubscribe = onAbort(signal, () => settle(signal.reason as Error))
        const transaction: Transaction = {
          batch: batch.map((m) => m.copy()),
          ack: async (error) => settle(error),
        }
        pipe.send(transaction, signal).then((taken) => {
          if (!taken) settle(signal.aborted ? (signal.reason as Error) : new Error('inproc output closed'))
        })
      })
    },
    async close() {
      unsetPipe(name, pipe)
      pipe.close()
    },
  }
}

export function inprocInput(name: string, logger: Logger): Input {
  let closed = false
  const closing = new AbortController()
  return {
    connect: async () => {},
    async read(signal) {
      const both = AbortSignal.any([signal, closing.signal])
      for (;;) {
        if (closed) throw new DOMException('inproc input closed', 'AbortError')
        const pipe = await getPipe(name, both, logger)
        try {
          const transaction = await pipe.receive(both)
          return { batch: transaction.batch, ack: transaction.ack }
        } catch (err) {
          // The output closed: wait for the next one to take the id.
          if (err instanceof ChannelClosed) continue
          throw err
        }
      }
    },
    async close() {
      closed = true
      closing.abort()
    },
  }
}

const description =
  'It is possible to connect multiple inputs to the same inproc ID, resulting in messages dispatching in a round-robin fashion to connected inputs. However, only one output can assume an inproc ID, and will replace existing outputs if a collision occurs.'

export const inprocInputPlugin = defineInput({
  name: 'inproc',
  status: 'stable',
  categories: ['Utility'],
  summary: 'Directly connect to an output within a Bento process by referencing it by a chosen ID.',
  description,
  value: field.string('inproc', { default: '' }),
  create: (name, context) => inprocInput(name, context.logger),
})

export const inprocOutputPlugin = defineOutput({
  name: 'inproc',
  status: 'stable',
  categories: ['Utility'],
  summary: 'Sends data directly to Bento inputs by connecting to a unique ID.',
  description,
  value: field.string('inproc', { default: '' }),
  create: (name, context) => inprocOutput(name, context.logger),
})
