// JetStream publishing with many PubAcks outstanding at once. Each message goes out with its own
// reply subject under one inbox subscription; the PubAck that comes back settles it. This is how
// the client's `js.publish` works too, but that costs a request object, a timer and a header block
// per message and runs an order of magnitude slower; here a message costs one map entry, and one
// timer sweeps for PubAcks that never came. How many are outstanding is bounded by the caller
// (the output's max_in_flight).

import { type Batch, BatchError, NotConnected } from '@bento-ts/core'
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats'
import type { Link } from './connection.ts'
import type { Outbox } from './outbox.ts'

interface Waiting {
  resolve: () => void
  reject: (error: Error) => void
  subject: string
  deadline: number
}

const decoder = new TextDecoder()
/** how every successful PubAck starts (followed by a non-empty stream name) */
const okStart = new TextEncoder().encode('{"stream":"')

const startsOk = (data: Uint8Array): boolean => {
  if (data.length <= okStart.length || data[okStart.length] === 0x22) return false
  for (let i = 0; i < okStart.length; i++) if (data[i] !== okStart[i]) return false
  return true
}

/** What a PubAck (or the server's answer in its place) means: undefined for success, else the failure. */
export function pubAckError(component: string, subject: string, reply: Msg): Error | undefined {
  const status = reply.headers?.code ?? 0
  if (status === 503) return new Error(`${component}: no stream is listening on subject ${subject}`)
  if (status >= 400) {
    return new Error(
      `${component}: publish to ${subject} failed: ${status} ${reply.headers?.description ?? ''}`,
    )
  }
  const data = reply.data
  if (startsOk(data)) return undefined
  let parsed: { error?: { code?: number; err_code?: number; description?: string }; stream?: string }
  try {
    parsed = JSON.parse(decoder.decode(data))
  } catch {
    return new Error(
      `${component}: publish to ${subject}: unreadable PubAck ${JSON.stringify(decoder.decode(data))}`,
    )
  }
  if (parsed.error !== undefined) {
    const e = parsed.error
    return new Error(
      `${component}: publish to ${subject} failed: ${e.description ?? 'unknown error'} (code ${e.code ?? '?'}, err_code ${e.err_code ?? '?'})`,
    )
  }
  if (typeof parsed.stream !== 'string' || parsed.stream === '')
    return new Error(`${component}: publish to ${subject}: invalid PubAck`)
  return undefined
}

export class AckedPublisher {
  readonly #component: string
  readonly #prefix: string
  readonly #timeoutMs: number
  readonly #waiting = new Map<number, Waiting>()
  readonly #sub: Subscription
  readonly #outbox: Outbox
  #next = 0
  #sweeper: ReturnType<typeof setInterval> | undefined

  constructor(nc: NatsConnection, outbox: Outbox, component: string, timeoutMs: number) {
    this.#outbox = outbox
    this.#component = component
    this.#timeoutMs = timeoutMs
    this.#prefix = `${createInbox()}.`
    this.#sub = nc.subscribe(`${this.#prefix}*`, { callback: (_err, msg) => this.#settle(msg) })
  }

  /** how many PubAcks are outstanding */
  get outstanding(): number {
    return this.#waiting.size
  }

  /** Resolves once JetStream stored the message; rejects with its error, or after the timeout. */
  publish(subject: string, data: Uint8Array, headers?: MsgHdrs): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const token = ++this.#next
      try {
        this.#outbox.publish(subject, data, this.#prefix + token, headers, this.#refused)
      } catch (err) {
        reject(new Error(`${this.#component}: publish to ${subject}: ${(err as Error).message}`))
        return
      }
      this.#waiting.set(token, { resolve, reject, subject, deadline: Date.now() + this.#timeoutMs })
      this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(100, this.#timeoutMs / 4)).unref()
    })
  }

  /** The client refused a publish when its burst went out. */
  readonly #refused = (error: Error, subject: string, reply: string): void => {
    const token = Number(reply.slice(this.#prefix.length))
    const w = this.#waiting.get(token)
    if (w === undefined) return
    this.#waiting.delete(token)
    w.reject(new Error(`${this.#component}: publish to ${subject}: ${error.message}`))
  }

  /** Fails every outstanding publish (the connection dropped: their PubAcks may never come). */
  failAll(error: Error): void {
    const waiting = [...this.#waiting.values()]
    this.#waiting.clear()
    for (const w of waiting) w.reject(error)
  }

  close(error: Error): void {
    this.failAll(error)
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper)
    this.#sweeper = undefined
    try {
      this.#sub.unsubscribe()
    } catch {
      // the connection is already closed
    }
  }

  #settle(msg: Msg): void {
    const token = Number(msg.subject.slice(this.#prefix.length))
    const w = this.#waiting.get(token)
    // A PubAck after its timeout: the message was already failed (and will be sent again).
    if (w === undefined) return
    this.#waiting.delete(token)
    const error = pubAckError(this.#component, w.subject, msg)
    if (error === undefined) w.resolve()
    else w.reject(error)
  }

  #sweep(): void {
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweeper)
      this.#sweeper = undefined
      return
    }
    const now = Date.now()
    // Entries are in publish order and share one timeout, so the expired ones come first.
    for (const [token, w] of this.#waiting) {
      if (w.deadline > now) break
      this.#waiting.delete(token)
      w.reject(new Error(`${this.#component}: timed out waiting for the PubAck of a message to ${w.subject}`))
    }
  }
}

/**
 * Publishes every message of a batch (`start(i)` resolves once message `i` is stored) and
 * resolves once all are. Publishes the connection lost before their PubAck are sent again once
 * the client reconnected (it does so by itself); when only some messages failed for good, the
 * error is a BatchError naming those, so the ones stored are not sent again. NotConnected once
 * the connection is closed for good and nothing of the batch was stored: the runtime reconnects.
 */
export function deliverBatch(
  link: Link,
  batch: Batch,
  start: (index: number) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  // One message over a live link (the usual case): no retry bookkeeping unless it is needed.
  if (batch.length !== 1 || !link.up) return deliverEach(link, batch, start, signal)
  return startSafely(start, 0).catch((err: unknown) => {
    if (err instanceof NotConnected && !link.closed && !signal.aborted)
      return deliverEach(link, batch, start, signal)
    throw err
  })
}

async function deliverEach(
  link: Link,
  batch: Batch,
  start: (index: number) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  let todo = batch.map((_, i) => i)
  const failures: [number, Error][] = []
  for (;;) {
    await link.whenUp(signal)
    const results = await Promise.allSettled(todo.map((i) => startSafely(start, i)))
    const lost: number[] = []
    results.forEach((r, k) => {
      if (r.status === 'fulfilled') return
      const error = r.reason as Error
      if (error instanceof NotConnected && !link.closed && !signal.aborted) lost.push(todo[k]!)
      else failures.push([todo[k]!, error])
    })
    if (lost.length === 0) break
    todo = lost
  }
  if (failures.length === 0) return
  if (failures.length < batch.length) throw new BatchError(batch, failures)
  throw failures.find(([, e]) => e instanceof NotConnected)?.[1] ?? failures[0]![1]
}

const startSafely = (start: (index: number) => Promise<void>, i: number): Promise<void> => {
  try {
    return start(i)
  } catch (err) {
    return Promise.reject(err)
  }
}
