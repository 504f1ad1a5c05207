import {
  type AckFn,
  BatchError,
  EndOfInput,
  type Input,
  InputDraining,
  NotConnected,
  type Processor,
} from './component.ts'
import { backoffDelays, isAbort, Pending, pause, Slots } from './concurrency.ts'
import type { Logger } from './logger.ts'
import type { Batch, Message } from './message.ts'
import type { Metrics } from './metrics.ts'
import { ackAfterAll, runProcessors } from './pipeline.ts'
import type { Sink } from './sink.ts'

export interface StreamParts {
  input: Input
  inputName: string
  /** input processors, then the pipeline's, in order */
  processors: readonly Processor[]
  /** how many batches may be processed at once (Bento's pipeline.threads) */
  threads: number
  sink: Sink
  logger: Logger
  metrics: Metrics
  /**
   * Called when the input fails to connect or to read (the stream retries with backoff either
   * way): how an embedding program learns that a running stream is stuck, e.g. to alert.
   */
  onInputError?: (error: Error) => void
  /** sees every batch as it is read, before any processor (the plugin learns credentials to mask) */
  onRead?: (batch: Batch) => void
  /**
   * Bento's `error_handling.strategy: reject`: a batch holding a message that a processor failed
   * is nacked instead of written (`log` says whether each rejection is logged, with the payload)
   */
  rejectErrored?: { log: boolean; addPayload: boolean; samplingRatio: number }
}

export interface RunningStream {
  /** resolves when the input ended and every message read was acknowledged, or after stop() */
  readonly done: Promise<void>
  /**
   * Stops reading, waits for messages under way to be delivered or nacked, then closes. When the
   * deadline passes, writes under way are cancelled, so their messages are nacked, never lost.
   */
  stop(timeoutMs: number): Promise<void>
  /** transactions read and not yet acknowledged */
  readonly inFlight: number
}

const readBackoff = { initialMs: 100, maxMs: 1000 }
const yieldEveryMs = 20

/**
 * input → processors → sink, at least once: a batch read is acknowledged to its input only after
 * every batch derived from it was delivered (or filtered out); a failure anywhere nacks it.
 */
export function runStream(parts: StreamParts): RunningStream {
  const reading = new AbortController()
  const labels = { label: parts.inputName, path: parts.inputName }
  const received = parts.metrics.counter('input_received', labels)
  const inputLatency = parts.metrics.timing('input_latency_ns', labels)
  const processingSlots = new Slots(parts.threads)
  const transactions = new Pending()
  let stopping = false

  /**
   * Processes one batch and hands what comes out to the sink; returns undefined when all of that
   * happened synchronously (the usual case: synchronous processors, room in the sink), else a
   * promise of its end. The batch's ack fires once the sink settled every derived batch.
   */
  const deliver = (batch: Batch, ack: AckFn): Promise<void> | undefined => {
    const started = performance.now()
    let fired = false
    const ackOnce = (error?: Error): void => {
      if (fired) return
      fired = true
      ack(error).catch((err: Error) => parts.logger.error(`Failed to acknowledge a batch: ${err.message}`))
    }
    const failed = (err: unknown): void => {
      parts.logger.error(`Failed to process a batch: ${(err as Error).message}`)
      ackOnce(err as Error)
    }
    const pushAll = (out: Batch[]): Promise<void> | undefined => {
      const settle = ackAfterAll(out.length, (error) => {
        inputLatency.observe(Math.round((performance.now() - started) * 1e6))
        ackOnce(error instanceof BatchError ? asReadFailure(error, batch, out) : error)
      })
      for (let i = 0; i < out.length; i++) {
        if (parts.rejectErrored !== undefined) {
          const failed = out[i]!.find((m) => m.error !== undefined)
          if (failed !== undefined) {
            reject(failed, settle)
            continue
          }
        }
        const taken = parts.sink.push(out[i]!, settle)
        if (taken !== undefined) return taken.then(() => pushRest(out, i + 1, settle))
      }
      return undefined
    }
    try {
      const out = parts.processors.length === 0 ? [batch] : runProcessors(parts.processors, batch)
      const pushed = out instanceof Promise ? out.then(pushAll) : pushAll(out)
      return pushed?.catch(failed)
    } catch (err) {
      failed(err)
      return undefined
    }
  }

  const pushRest = async (out: Batch[], from: number, settle: (error?: Error) => void): Promise<void> => {
    for (let i = from; i < out.length; i++) {
      const failed =
        parts.rejectErrored === undefined ? undefined : out[i]!.find((m) => m.error !== undefined)
      if (failed !== undefined) reject(failed, settle)
      else await parts.sink.push(out[i]!, settle)
    }
  }

  const reject = (failed: Message, settle: (error?: Error) => void): void => {
    const how = parts.rejectErrored!
    if (how.log && Math.random() < how.samplingRatio) {
      const payload = how.addPayload ? ` (payload: ${failed.text()})` : ''
      parts.logger.error(`Rejecting a message that failed processing: ${failed.error!.message}${payload}`)
    }
    settle(new Error(`rejected: ${failed.error!.message}`, { cause: failed.error }))
  }

  const loop = async (): Promise<void> => {
    const delay = backoffDelays(readBackoff)
    let connected = false
    let reads = 0
    let yielded = performance.now()
    while (!reading.signal.aborted) {
      // An input, processors and output that all answer at once run on promise callbacks only:
      // now and then let timers and I/O (a stop signal, metrics scrapes) have their turn.
      if ((++reads & 255) === 0 && performance.now() - yielded > yieldEveryMs) {
        await new Promise((resolve) => setImmediate(resolve))
        yielded = performance.now()
        continue
      }
      if (!connected) {
        try {
          await parts.input.connect(reading.signal)
          connected = true
          parts.logger.info(`Input type ${parts.inputName} is now active`)
        } catch (err) {
          if (reading.signal.aborted) break
          parts.logger.error(`Failed to connect to ${parts.inputName}: ${(err as Error).message}`)
          parts.onInputError?.(err as Error)
          await pause(delay(), reading.signal)
          continue
        }
      }
      // Waiting for room must not keep a stop waiting: what waits here was not read yet.
      const room = processingSlots.acquire(reading.signal)
      if (room !== undefined && !(await room)) break
      let read: Awaited<ReturnType<Input['read']>>
      try {
        read = await parts.input.read(reading.signal)
      } catch (err) {
        processingSlots.release()
        if (err instanceof EndOfInput) break
        if (err instanceof InputDraining) {
          // Partial batches held by output batching are what the input's last acks wait for.
          await parts.sink.flush()
          continue
        }
        if (reading.signal.aborted || isAbort(err)) break
        if (err instanceof NotConnected) connected = false
        else parts.logger.error(`Failed to read from ${parts.inputName}: ${(err as Error).message}`)
        parts.onInputError?.(err as Error)
        await pause(delay(), reading.signal)
        continue
      }
      received.inc(read.batch.length)
      parts.onRead?.(read.batch)
      transactions.add()
      const inputAck = read.ack
      const ack: AckFn = (error) => {
        let acked: Promise<void>
        try {
          acked = inputAck(error)
        } catch (err) {
          transactions.done()
          return Promise.reject(err)
        }
        return acked.finally(() => transactions.done())
      }
      const delivering = deliver(read.batch, ack)
      if (delivering === undefined) processingSlots.release()
      else delivering.finally(() => processingSlots.release())
    }
  }

  const finish = async (): Promise<void> => {
    await parts.sink.flush()
    await transactions.idle()
  }

  const closeAll = async (): Promise<void> => {
    await Promise.allSettled([parts.input.close(), parts.sink.close()])
  }

  let stopped: Promise<void> | undefined
  const looped = loop()
  const done = (async () => {
    await looped
    await finish()
    // A stop that began meanwhile closes everything itself, after its deadline handling.
    if (!stopping) await closeAll()
  })()

  return {
    done: done.then(() => stopped),
    get inFlight() {
      return transactions.count
    },
    stop(timeoutMs) {
      stopped ??= (async () => {
        stopping = true
        reading.abort()
        // Only the reading loop is awaited here: the drain below is what the deadline bounds.
        await looped
        const deadline = new Promise<'timeout'>((resolve) =>
          setTimeout(() => resolve('timeout'), timeoutMs).unref(),
        )
        if ((await Promise.race([finish().then(() => 'drained' as const), deadline])) === 'timeout') {
          parts.logger.warn(
            `Shutdown timeout reached with ${transactions.count} transactions under way; cancelling their writes`,
          )
          parts.sink.cancel()
          // An output that ignores cancellation must not hold the process: what it still holds was
          // never acknowledged, so its source redelivers it.
          const grace = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())
          await Promise.race([transactions.idle(), grace])
        }
        await closeAll()
      })()
      return stopped
    },
  }
}

/**
 * A partial failure of what processors made from a batch, said of the batch as read: message i
 * failed when what processing made of it at position i did (processors that kept one batch of
 * the same length). Where that cannot be told, the error stays as it is: the input finds none of
 * its messages in it and treats the whole batch as failed.
 */
function asReadFailure(error: BatchError, read: Batch, out: Batch[]): Error {
  const made = out[0]
  if (out.length !== 1 || made === undefined || made === read || made.length !== read.length) return error
  const parts = error.splitOver([made])
  const failed = parts?.[0]
  if (failed === undefined) return error
  const indexes: [number, Error][] = []
  for (let i = 0; i < made.length; i++) {
    const e = failed.failures.get(made[i]!)
    if (e !== undefined) indexes.push([i, e])
  }
  return new BatchError(read, indexes, error.message)
}

export type { Processor }
