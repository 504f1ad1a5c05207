import { type Executor, parse } from '@bento-ts/bloblang'
import { type AckFn, EndOfInput, FieldError, type Input, InputDraining } from '../../component.ts'
import { backoffDelays, isAbort, pause } from '../../concurrency.ts'
import { parseDuration } from '../../duration.ts'
import { defineInput } from '../../kit/declare.ts'
import type { Batch } from '../../message.ts'
import { field } from '../../spec.ts'
import { BatchView, queryBool } from '../processors/util.ts'

interface ReadUntilOptions {
  /** builds the child input; called again for each restart */
  child: () => Promise<Input>
  check: Executor | undefined
  /** no message for this long ends the input; undefined: no limit */
  idleMs: number | undefined
  restart: boolean
  onCheckError: (err: Error) => void
  onIdle: () => void
}

/**
 * Reads a child input until a batch whose first message passes the check has been delivered
 * (marked `bento_read_until: final`), or no message came for the idle timeout. A final batch
 * that is nacked leaves the input reading on. A child that ends first ends this input too, or is
 * built again when `restart`.
 */
export function readUntil(first: Input, options: ReadUntilOptions): Input {
  let child: Input | undefined = first
  let connected = false
  let ended = false
  /** the final batch's delivery: resolves true once it was acked, false when nacked */
  let final: Promise<boolean> | undefined
  let drainingSaid = false
  const restartBackoff = () => backoffDelays({ initialMs: 1, maxMs: 100 })
  let restartDelay = restartBackoff()

  const closeChild = async (): Promise<void> => {
    const current = child
    child = undefined
    connected = false
    await current?.close()
  }

  return {
    async connect(signal) {
      if (child !== undefined && !connected) {
        await child.connect(signal)
        connected = true
      }
    },
    async read(signal) {
      for (;;) {
        if (ended) throw new EndOfInput()
        if (final !== undefined) {
          // Output batching may hold the final batch, waiting for more: say we are draining first.
          if (!drainingSaid) {
            drainingSaid = true
            throw new InputDraining()
          }
          const delivered = await final
          final = undefined
          drainingSaid = false
          if (delivered) {
            ended = true
            await closeChild()
            continue
          }
        }
        if (child === undefined) {
          if (!options.restart) {
            ended = true
            continue
          }
          await pause(restartDelay(), signal)
          if (signal.aborted) throw new DOMException('read aborted', 'AbortError')
          child = await options.child()
        }
        if (!connected) {
          await child.connect(signal)
          connected = true
        }
        const idle = options.idleMs === undefined ? undefined : AbortSignal.timeout(options.idleMs)
        let read: { batch: Batch; ack: AckFn }
        try {
          read = await child.read(idle === undefined ? signal : AbortSignal.any([signal, idle]))
        } catch (err) {
          if (err instanceof EndOfInput) {
            await closeChild()
            continue
          }
          if (idle?.aborted === true && !signal.aborted && isAbort(err)) {
            options.onIdle()
            ended = true
            await closeChild()
            continue
          }
          throw err
        }
        restartDelay = restartBackoff()
        if (!passes(read.batch, options)) return read
        read.batch[0]!.metadata.set('bento_read_until', 'final')
        let settle!: (delivered: boolean) => void
        final = new Promise((resolve) => {
          settle = resolve
        })
        const ack: AckFn = async (error) => {
          try {
            await read.ack(error)
          } finally {
            settle(error === undefined)
          }
        }
        return { batch: read.batch, ack }
      }
    },
    async close() {
      ended = true
      await closeChild()
    },
  }
}

function passes(batch: Batch, options: ReadUntilOptions): boolean {
  if (options.check === undefined || batch.length === 0) return false
  try {
    return queryBool(options.check, new BatchView(batch), 0)
  } catch (err) {
    options.onCheckError(err as Error)
    return false
  }
}

export const readUntilInputPlugin = defineInput({
  name: 'read_until',
  status: 'stable',
  categories: ['Utility'],
  summary:
    'Reads messages from a child input until a consumed message passes a Bloblang query, at which point the input closes. It is also possible to configure a timeout after which the input is closed if no new messages arrive in that period.',
  description:
    'The check runs on the first message of each batch; the batch that passes is sent out with the metadata `bento_read_until: final` on its first message, and once it is acknowledged the input ends (nacked, reading goes on). With `idle_timeout` the input also ends when no message arrives for that long. A child input that ends first ends this one too, unless `restart_input` builds it again.',
  fields: [
    field.input('input', { description: 'The child input to consume from.' }),
    field.bloblang('check', {
      optional: true,
      description:
        'A Bloblang query that should return a boolean value indicating whether the input should now be closed.',
      examples: ['this.type == "foo"', 'count("messages") >= 100'],
    }),
    field.duration('idle_timeout', {
      optional: true,
      description:
        'The maximum amount of time without receiving new messages after which the input is closed.',
      examples: ['5s'],
    }),
    field.bool('restart_input', {
      default: false,
      description:
        'Whether the input should be reopened if it closes itself before the condition has resolved to true.',
    }),
  ],
  async create(config, context) {
    let check: Executor | undefined
    if (config.check !== undefined && config.check !== '') {
      try {
        check = parse(config.check)
      } catch (err) {
        throw new FieldError('check', `failed to parse check query: ${(err as Error).message}`)
      }
    }
    const idleMs =
      config.idle_timeout === undefined || config.idle_timeout === ''
        ? undefined
        : parseDuration(config.idle_timeout)
    if (check === undefined && idleMs === undefined)
      throw new FieldError('check', 'it is required to set either check or idle_timeout')
    const child = () => context.build.input(config.input)
    return readUntil(await child(), {
      child,
      check,
      idleMs,
      restart: config.restart_input,
      onCheckError: (err) => context.logger.error(`Failed to execute check query: ${err.message}`),
      onIdle: () => context.logger.info('Idle timeout reached'),
    })
  },
})
