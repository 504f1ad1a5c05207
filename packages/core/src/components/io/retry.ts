import { type Output, parseField } from '../../component.ts'
import { isAbort, pause } from '../../concurrency.ts'
import { parseDuration } from '../../duration.ts'
import { defineOutput } from '../../kit/declare.ts'
import type { Logger } from '../../logger.ts'
import type { Batch } from '../../message.ts'
import { type ConfigOf, field } from '../../spec.ts'
import { abortable, exponentialBackoff, onAbort } from './channel.ts'

/** Bento's common `max_retries` and `backoff.*` fields with the given defaults. */
export function retryBackoffFields(maxRetries: number, initial: string, max: string, elapsed: string) {
  return [
    field.int('max_retries', {
      default: maxRetries,
      advanced: true,
      description:
        'The maximum number of retries before giving up on the request. If set to zero there is no discrete limit.',
    }),
    field.object(
      'backoff',
      [
        field.duration('initial_interval', {
          default: initial,
          description: 'The initial period to wait between retry attempts.',
        }),
        field.duration('max_interval', {
          default: max,
          description: 'The maximum period to wait between retry attempts.',
        }),
        field.duration('max_elapsed_time', {
          default: elapsed,
          description:
            'The maximum period to wait before retry attempts are abandoned. If zero then no limit is used.',
        }),
      ],
      {
        default: { initial_interval: initial, max_interval: max, max_elapsed_time: elapsed },
        advanced: true,
        description: 'Control time intervals between retry attempts.',
      },
    ),
  ] as const
}

export type RetryBackoffConfig = ConfigOf<ReturnType<typeof retryBackoffFields>>

type BackoffField = keyof RetryBackoffConfig['backoff']
const durationOf = (c: RetryBackoffConfig, name: BackoffField): number =>
  c.backoff[name] === '' ? 0 : parseField(`backoff.${name}`, () => parseDuration(c.backoff[name]))

/** A factory of backoff sequences (one per failing message) from the common retry fields. */
export function backoffFromConfig(c: RetryBackoffConfig): () => () => number | undefined {
  const initialMs = durationOf(c, 'initial_interval')
  const maxMs = durationOf(c, 'max_interval')
  const maxElapsedMs = durationOf(c, 'max_elapsed_time')
  return () => exponentialBackoff({ initialMs, maxMs, maxElapsedMs, maxRetries: c.max_retries })
}

/** What the fan_out broker and `switch.retry_until_success` retry with: 500ms → 3s, forever. */
export const indefiniteBackoff = (): (() => number | undefined) =>
  exponentialBackoff({ initialMs: 500, maxMs: 3000, maxElapsedMs: 0, maxRetries: 0 })

/**
 * Bento's retry wrapper: a failed write is retried (with a fresh copy of the batch) after a
 * backoff until it succeeds or the backoff gives up. While any write is retrying, new writes wait,
 * so a broken output does not collect an unbounded pile of retry loops.
 */
export class RetryingOutput implements Output {
  readonly #child: Output
  readonly #backoff: () => () => number | undefined
  readonly #logger: Logger
  #retrying = 0
  #wake: (() => void)[] = []

  constructor(child: Output, backoff: () => () => number | undefined, logger: Logger) {
    this.#child = child
    this.#backoff = backoff
    this.#logger = logger
  }

  connect(signal: AbortSignal): Promise<void> {
    return this.#child.connect(signal)
  }

  close(): Promise<void> {
    return this.#child.close()
  }

  async #waitForCalm(signal: AbortSignal): Promise<void> {
    while (this.#retrying > 0) {
      signal.throwIfAborted()
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined
        let unsubscribe = () => {}
        const finish = () => {
          clearTimeout(timer)
          unsubscribe()
          resolve()
        }
        timer = setTimeout(finish, 100)
        this.#wake.push(finish)
        unsubscribe = onAbort(signal, finish)
      })
    }
  }

  async write(batch: Batch, signal: AbortSignal): Promise<void> {
    await this.#waitForCalm(signal)
    let next: (() => number | undefined) | undefined
    let inLoop = false
    try {
      for (;;) {
        try {
          await abortable(
            this.#child.write(
              batch.map((m) => m.copy()),
              signal,
            ),
            signal,
          )
          return
        } catch (err) {
          if (signal.aborted || isAbort(err)) throw err
          if (!inLoop) {
            inLoop = true
            this.#retrying++
          }
          next ??= this.#backoff()
          const wait = next()
          if (wait === undefined) {
            this.#logger.error(`Failed to send message: ${(err as Error).message}`)
            throw new Error('message failed to reach a target destination')
          }
          this.#logger.warn(`Failed to send message: ${(err as Error).message}`)
          if (!(await pause(wait, signal))) signal.throwIfAborted()
        }
      }
    } finally {
      if (inLoop) {
        this.#retrying--
        for (const wake of this.#wake.splice(0)) wake()
      }
    }
  }
}

export const retryOutputPlugin = defineOutput({
  name: 'retry',
  status: 'stable',
  categories: ['Utility'],
  summary:
    'Attempts to write messages to a child output and if the write fails for any reason the message is retried either until success or, if the retries or max elapsed time fields are non-zero, either is reached.',
  description:
    'All messages in Bento are always retried on an output error, but this would usually involve propagating the error back to the source of the message, whereby it would be reprocessed before reaching the output layer once again. This output type is useful whenever we wish to avoid reprocessing a message on the event of a failed send.',
  fields: [
    ...retryBackoffFields(0, '500ms', '3s', '0s'),
    field.output('output', { description: 'A child output.' }),
  ],
  async create(config, context) {
    const backoff = backoffFromConfig(config)
    const child = await context.build.output(config.output)
    return new RetryingOutput(child, backoff, context.logger)
  },
})
