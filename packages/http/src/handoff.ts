// Where requests wait for the stream to read them: Bento's unbuffered transaction channel. A
// request that gave up (timed out, client gone) is marked dead and skipped, never read.

import { type AckFn, type Batch, EndOfInput } from '@bento-ts/core'

export interface Transaction {
  batch: Batch
  ack: AckFn
  /** set once the stream read it */
  taken: boolean
  /** set when the request gave up before it was read: it is skipped */
  dead: boolean
  /** called when the stream reads it */
  onTaken: (() => void) | undefined
}

interface Reader {
  resolve: (t: Transaction) => void
  reject: (err: unknown) => void
  unsubscribe: () => void
}

export class Handoff {
  #items: Transaction[] = []
  #readers: Reader[] = []
  #closed = false

  get closed(): boolean {
    return this.#closed
  }

  /** Queues a transaction, or hands it straight to a waiting reader. False once closed. */
  offer(t: Transaction): boolean {
    if (this.#closed) return false
    const reader = this.#readers.shift()
    if (reader !== undefined) {
      reader.unsubscribe()
      this.#take(t)
      reader.resolve(t)
    } else this.#items.push(t)
    return true
  }

  /** The next live transaction; rejects with EndOfInput once closed, the abort reason on abort. */
  take(signal: AbortSignal): Promise<Transaction> {
    while (this.#items.length > 0) {
      const t = this.#items.shift()!
      if (t.dead) continue
      this.#take(t)
      return Promise.resolve(t)
    }
    if (this.#closed) return Promise.reject(new EndOfInput())
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.#readers.indexOf(reader)
        if (at >= 0) this.#readers.splice(at, 1)
        reject(signal.reason)
      }
      const reader: Reader = {
        resolve,
        reject,
        unsubscribe: () => signal.removeEventListener('abort', onAbort),
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#readers.push(reader)
    })
  }

  /** Transactions still waiting to be read (the caller answers them); readers get EndOfInput. */
  close(): Transaction[] {
    this.#closed = true
    for (const r of this.#readers.splice(0)) {
      r.unsubscribe()
      r.reject(new EndOfInput())
    }
    return this.#items.splice(0).filter((t) => !t.dead)
  }

  #take(t: Transaction): void {
    t.taken = true
    t.onTaken?.()
  }
}
