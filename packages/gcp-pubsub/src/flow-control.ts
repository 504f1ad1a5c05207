// The output's `flow_control`: how many messages and bytes may be handed to the client library and
// not yet published. The library's own flow control only serves its separate flow-controlled
// publisher, which reports ids in bulk; we need each message's result, so the limits live here.
import { onAbort } from '@bento-ts/core/kit'

export type LimitBehavior = 'ignore' | 'block' | 'signal_error'

export interface FlowLimits {
  /** ≤ 0: no limit */
  maxMessages: number
  /** ≤ 0: no limit */
  maxBytes: number
  behavior: LimitBehavior
}

interface Waiter {
  bytes: number
  admit(): void
}

export class PublishGate {
  readonly #limits: FlowLimits
  #messages = 0
  #bytes = 0
  readonly #waiting: Waiter[] = []

  constructor(limits: FlowLimits) {
    this.#limits = limits
  }

  get outstanding(): { messages: number; bytes: number } {
    return { messages: this.#messages, bytes: this.#bytes }
  }

  #fits(bytes: number): boolean {
    const { maxMessages, maxBytes } = this.#limits
    return (
      (maxMessages <= 0 || this.#messages + 1 <= maxMessages) &&
      (maxBytes <= 0 || this.#bytes + bytes <= maxBytes)
    )
  }

  /**
   * Takes room for one message: undefined when it was free (or limits are off), else a promise
   * that resolves once it is (waiters are admitted in arrival order, so publish order holds) and
   * rejects when the signal fires first. Throws when the message can never fit, or when it does
   * not fit now and the behaviour is `signal_error`.
   */
  acquire(bytes: number, signal: AbortSignal): Promise<void> | undefined {
    const { maxMessages, maxBytes, behavior } = this.#limits
    if (behavior === 'ignore') return undefined
    if (maxBytes > 0 && bytes > maxBytes)
      throw new Error(
        `gcp_pubsub output: message of ${bytes} bytes exceeds flow_control.max_outstanding_bytes (${maxBytes})`,
      )
    if (this.#waiting.length === 0 && this.#fits(bytes)) {
      this.#take(bytes)
      return undefined
    }
    if (behavior === 'signal_error')
      throw new Error(
        `gcp_pubsub output: flow control limit exceeded (${this.#messages} messages, ${this.#bytes} bytes outstanding; ` +
          `max_outstanding_messages ${maxMessages}, max_outstanding_bytes ${maxBytes})`,
      )
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        admit: () => {
          unsubscribe()
          resolve()
        },
      }
      const unsubscribe = onAbort(signal, () => {
        const at = this.#waiting.indexOf(waiter)
        if (at >= 0) this.#waiting.splice(at, 1)
        reject(signal.reason)
        // The one that left may have been holding up smaller ones behind it.
        this.#admit()
      })
      this.#waiting.push(waiter)
    })
  }

  release(bytes: number): void {
    if (this.#limits.behavior === 'ignore') return
    this.#messages--
    this.#bytes -= bytes
    this.#admit()
  }

  #take(bytes: number): void {
    this.#messages++
    this.#bytes += bytes
  }

  #admit(): void {
    for (;;) {
      const next = this.#waiting[0]
      if (next === undefined || !this.#fits(next.bytes)) return
      this.#waiting.shift()
      this.#take(next.bytes)
      next.admit()
    }
  }
}
