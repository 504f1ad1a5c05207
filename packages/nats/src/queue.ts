// Messages a subscription delivered, waiting for the stream to read them. NATS hands messages to a
// callback as they arrive; the stream asks for them one read at a time.

import { onAbort } from '@bento-ts/core/kit'

interface Waiter<T> {
  resolve: (item: T) => void
  reject: (error: unknown) => void
  unsubscribe: () => void
}

export class DeliveryQueue<T> {
  #items: (T | undefined)[] = []
  #head = 0
  #waiters: Waiter<T>[] = []
  #failure: Error | undefined
  /** how many items it holds before `push` refuses more */
  readonly limit: number

  constructor(limit = Number.POSITIVE_INFINITY) {
    this.limit = limit
  }

  get size(): number {
    return this.#items.length - this.#head
  }

  /** Hands the item to a waiting reader or keeps it; false when it is full (the item was not taken). */
  push(item: T): boolean {
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) {
      waiter.unsubscribe()
      waiter.resolve(item)
      return true
    }
    if (this.size >= this.limit) return false
    this.#items.push(item)
    return true
  }

  /** The next item, waiting for one; rejects with the failure once `fail` was called. */
  take(signal: AbortSignal): Promise<T> {
    if (this.#head < this.#items.length) return Promise.resolve(this.#shift())
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject, unsubscribe: () => {} }
      waiter.unsubscribe = onAbort(signal, () => {
        const at = this.#waiters.indexOf(waiter)
        if (at >= 0) this.#waiters.splice(at, 1)
        reject(signal.reason)
      })
      this.#waiters.push(waiter)
    })
  }

  /** Items still held are read first; after them (and for readers waiting now) `take` rejects. */
  fail(error: Error): void {
    this.#failure = error
    for (const waiter of this.#waiters.splice(0)) {
      waiter.unsubscribe()
      waiter.reject(error)
    }
  }

  /** Drops everything held and forgets a failure (a fresh subscription starts). */
  reset(): T[] {
    const dropped = this.#items.slice(this.#head) as T[]
    this.#items = []
    this.#head = 0
    this.#failure = undefined
    return dropped
  }

  #shift(): T {
    const item = this.#items[this.#head] as T
    this.#items[this.#head] = undefined
    this.#head++
    if (this.#head === this.#items.length) {
      this.#items.length = 0
      this.#head = 0
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }
}
