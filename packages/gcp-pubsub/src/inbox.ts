// Where received messages wait for `read`: the client library pushes them from its callbacks (it
// cannot be told to wait), its own flow control bounds how many can pile up here.
import { onAbort } from '@bento-ts/core/kit'

interface Waiter<T> {
  resolve(item: T): void
  reject(error: unknown): void
}

export class Inbox<T> {
  #items: T[] = []
  #head = 0
  readonly #waiters: Waiter<T>[] = []
  #failure: Error | undefined

  get size(): number {
    return this.#items.length - this.#head
  }

  get failed(): boolean {
    return this.#failure !== undefined
  }

  /** Hands the item to the oldest waiting reader, or keeps it; ignored once failed. */
  push(item: T): boolean {
    if (this.#failure !== undefined) return false
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) waiter.resolve(item)
    else this.#items.push(item)
    return true
  }

  /** The next item; rejects with the failure once failed, with the abort reason when the signal fires. */
  take(signal: AbortSignal): Promise<T> {
    if (this.size > 0) {
      const item = this.#items[this.#head]!
      this.#items[this.#head++] = undefined as T
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head)
        this.#head = 0
      }
      return Promise.resolve(item)
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve: (item) => {
          unsubscribe()
          resolve(item)
        },
        reject: (error) => {
          unsubscribe()
          reject(error)
        },
      }
      const unsubscribe = onAbort(signal, () => {
        const at = this.#waiters.indexOf(waiter)
        if (at >= 0) this.#waiters.splice(at, 1)
        reject(signal.reason)
      })
      this.#waiters.push(waiter)
    })
  }

  /**
   * Stops taking items: waiting and later readers get `error`. Returns what was still held, which
   * nobody will read (the caller gives it back to the server).
   */
  fail(error: Error): T[] {
    if (this.#failure === undefined) this.#failure = error
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure)
    const left = this.#items.slice(this.#head)
    this.#items = []
    this.#head = 0
    return left
  }
}
