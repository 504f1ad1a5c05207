import { parse as parseMapping } from '@bento-ts/bloblang'
import { BatchError, combineErrors, NotConnected, type Output, type Processor } from './component.ts'
import { backoffDelays, isAbort, Pending, pause, Slots } from './concurrency.ts'
import { parseDuration } from './duration.ts'
import type { Logger } from './logger.ts'
import type { Batch, Message } from './message.ts'
import type { Metrics } from './metrics.ts'
import { runProcessors } from './pipeline.ts'

export type Settle = (error?: Error) => void

/** Where processed batches go: an output with its in-flight limit, batching and processors. */
export interface Sink {
  /**
   * Takes the batch: returns undefined when it was taken at once, else a promise that resolves
   * once it was (waiting for room when full). `settle` reports delivery.
   */
  push(batch: Batch, settle: Settle): Promise<void> | undefined
  /** Sends whatever a batching policy still holds. */
  flush(): Promise<void>
  /** Waits for every write under way to settle. */
  drained(): Promise<void>
  /** Cancels writes under way (the shutdown deadline passed): their batches settle as failed. */
  cancel(): void
  close(): Promise<void>
}

export { batchingField, batchingPolicyFields as batchingFields } from './kit/fields.ts'

export interface BatchPolicy {
  count: number
  byte_size: number
  period: string
  jitter?: number
  check: string
  /** built from the policy's `processors` */
  processors?: Processor[]
}

export const policyEnabled = <P extends Omit<BatchPolicy, 'processors'>>(p: P | undefined): p is P =>
  p !== undefined && (p.count > 1 || p.byte_size > 0 || p.period !== '' || p.check !== '')

export interface OutputSinkOptions {
  output: Output
  name: string
  maxInFlight: number
  processors: readonly Processor[]
  batching?: BatchPolicy
  logger: Logger
  metrics: Metrics
}

const connectBackoff = { initialMs: 500, maxMs: 1000 }

export function outputSink(o: OutputSinkOptions): Sink {
  const labels = { label: o.name, path: o.name }
  const sent = o.metrics.counter('output_sent', labels)
  const failed = o.metrics.counter('output_error', labels)
  const batchesSent = o.metrics.counter('output_batch_sent', labels)
  const latency = o.metrics.timing('output_latency_ns', labels)
  const cancelled = new AbortController()
  const signal = cancelled.signal
  const slots = new Slots(o.maxInFlight)
  const writes = new Pending()
  let connected: Promise<void> | undefined

  let isConnected = false
  // Writes queued behind a connect: until they have gone, later writes queue behind them too, or
  // one arriving just after the connect could overtake them.
  let queuedOnConnect = 0

  const connect = (): Promise<void> => {
    connected ??= (async () => {
      const delay = backoffDelays(connectBackoff)
      for (;;) {
        try {
          await o.output.connect(signal)
          o.logger.info(`Output type ${o.name} is now active`)
          isConnected = true
          return
        } catch (err) {
          if (signal.aborted) throw err
          o.logger.error(`Failed to connect to ${o.name}: ${(err as Error).message}`)
          await pause(delay(), signal)
        }
      }
    })()
    return connected
  }

  /**
   * Writes one batch, reconnecting while the link is down; other failures settle as errors.
   * Written with callbacks rather than async/await: it runs once per batch, and while connected
   * it costs the output's own promise and one reaction.
   */
  const write = (batch: Batch): Promise<void> => {
    const started = performance.now()
    const done = (): void => {
      sent.inc(batch.length)
      batchesSent.inc()
      latency.observe(Math.round((performance.now() - started) * 1e6))
    }
    const failedWith = (err: unknown): Promise<void> => {
      if (err instanceof NotConnected && !signal.aborted) {
        connected = undefined
        isConnected = false
        return attempt()
      }
      failed.inc(batch.length)
      if (!isAbort(err)) o.logger.error(`Failed to send message to ${o.name}: ${(err as Error).message}`)
      return Promise.reject(err)
    }
    const attempt = (): Promise<void> => {
      if (!isConnected || queuedOnConnect > 0) {
        queuedOnConnect++
        return connect().then(
          () => {
            queuedOnConnect--
            return writeNow()
          },
          (err: unknown) => {
            queuedOnConnect--
            throw err
          },
        )
      }
      return writeNow()
    }
    const writeNow = (): Promise<void> => {
      if (!isConnected) return attempt()
      let writing: Promise<void>
      try {
        // Cancelled while waiting for room: fail here rather than start a write nobody waits for.
        signal.throwIfAborted()
        writing = o.output.write(batch, signal)
      } catch (err) {
        return failedWith(err)
      }
      return writing.then(done, failedWith)
    }
    return attempt()
  }

  const writeAll = async (batches: Batch[]): Promise<void> => {
    for (const b of batches) await write(b)
  }

  /** Runs the output's processors and writes what they give; settles, then frees the place. */
  const start = (batch: Batch, settle: Settle): void => {
    writes.add()
    const finish = (error?: Error): void => {
      try {
        settle(error)
      } finally {
        slots.release()
        writes.done()
      }
    }
    const ok = () => finish()
    const fail = (err: unknown) => finish(err as Error)
    let batches: Batch[] | Promise<Batch[]>
    try {
      batches = o.processors.length === 0 ? [batch] : runProcessors(o.processors, batch)
    } catch (err) {
      fail(err)
      return
    }
    if (batches instanceof Promise) batches.then(writeAll).then(ok, fail)
    else if (batches.length === 1) write(batches[0]!).then(ok, fail)
    else writeAll(batches).then(ok, fail)
  }

  /** Takes a batch once there is room: at once (undefined) when there is, else when one frees up. */
  const dispatch = (batch: Batch, settle: Settle): Promise<void> | undefined => {
    const room = slots.acquire()
    if (room !== undefined) {
      return room.then(() => {
        start(batch, settle)
      })
    }
    start(batch, settle)
    return undefined
  }

  const policy = policyEnabled(o.batching) ? o.batching : undefined
  if (policy === undefined) {
    return {
      push: dispatch,
      flush: async () => {},
      drained: () => writes.idle(),
      cancel: () => cancelled.abort(),
      close: () => o.output.close(),
    }
  }

  // Batching: messages of many transactions wait together; each transaction's part settles with the flush.
  const periodMs = policy.period === '' ? 0 : parseDuration(policy.period)
  const check = policy.check === '' ? undefined : parseMapping(policy.check)
  let pending: Message[] = []
  let settles: Settle[] = []
  /** where each transaction's messages start in `pending` */
  let settleStarts: number[] = []
  let pendingBytes = 0
  let timer: NodeJS.Timeout | undefined

  const created = (mechanism: string) => o.metrics.counter('batch_created', { ...labels, mechanism })
  const createdBy = {
    count: created('count'),
    size: created('size'),
    check: created('check'),
    period: created('period'),
    final: created('final'),
  }
  const flush = async (mechanism: keyof typeof createdBy = 'final'): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (pending.length === 0) return
    createdBy[mechanism].inc()
    const batch = pending
    const waiting = settles
    const starts = settleStarts
    pending = []
    settles = []
    settleStarts = []
    pendingBytes = 0
    const settleAll: Settle = (error) => {
      // A partly written batch: each transaction learns only of its own failed messages, and
      // one whose messages were all delivered succeeds (possible while the messages are the
      // ones that were written, i.e. no batch processors replaced them).
      const parts =
        error instanceof BatchError && batch === written
          ? error.splitOver(waiting.map((_, k) => batch.slice(starts[k], starts[k + 1])))
          : null
      for (let k = 0; k < waiting.length; k++) waiting[k]!(parts === null ? error : parts[k])
    }
    let written: Batch = batch
    if (policy.processors !== undefined && policy.processors.length > 0) {
      let flushed: Batch[]
      try {
        flushed = await runProcessors(policy.processors, batch)
      } catch (err) {
        settleAll(err as Error)
        return
      }
      const merged = flushed.flat()
      if (merged.length === 0) return settleAll()
      written = merged
      return dispatch(merged, settleAll)
    }
    return dispatch(batch, settleAll)
  }

  /** Which rule of the policy, if any, says the pending batch is complete. */
  const triggers = (message: Message): 'count' | 'size' | 'check' | undefined => {
    if (policy.count > 0 && pending.length >= policy.count) return 'count'
    if (policy.byte_size > 0 && pendingBytes >= policy.byte_size) return 'size'
    if (check !== undefined) {
      try {
        return check.query(message.structured()) === true ? 'check' : undefined
      } catch {
        return undefined
      }
    }
    return undefined
  }

  return {
    async push(batch, settle) {
      // A transaction split over two flushes settles when both have.
      let parts = 0
      let firstError: Error | undefined
      let flushedAll = false
      const partSettle: Settle = (error) => {
        if (error !== undefined) firstError = combineErrors(firstError, error)
        if (--parts === 0 && flushedAll) settle(firstError)
      }
      for (const message of batch) {
        if (pending.length === 0 || settles.at(-1) !== partSettle) {
          parts++
          settles.push(partSettle)
          settleStarts.push(pending.length)
        }
        pending.push(message)
        pendingBytes += message.bytes().length
        const complete = triggers(message)
        if (complete !== undefined) await flush(complete)
        else if (timer === undefined && periodMs > 0) {
          timer = setTimeout(() => void flush('period'), periodMs)
        }
      }
      flushedAll = true
      if (parts === 0) settle(firstError)
    },
    flush: () => flush('final'),
    drained: () => writes.idle(),
    cancel: () => cancelled.abort(),
    async close() {
      if (timer !== undefined) clearTimeout(timer)
      await o.output.close()
    },
  }
}
