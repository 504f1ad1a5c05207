// Small concurrency pieces shared by the io components: a rendezvous channel (the Go unbuffered
// channel the inproc pipes and the broker fan-in are built on), abortable waits, Go-style
// exponential backoff and Go duration strings for error messages.

/** Thrown by `Channel.receive` once the channel is closed. */
export class ChannelClosed extends Error {
  constructor() {
    super('channel closed')
    this.name = 'ChannelClosed'
  }
}

const abortReason = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException('This operation was aborted', 'AbortError')

const abortCallbacks = new WeakMap<AbortSignal, Set<() => void>>()

/**
 * Calls `callback` once when the signal fires; returns the unsubscribe. One real listener per
 * signal however many waits share it (a sink's signal is shared by all its writes under way, and
 * Node warns past ten listeners).
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = abortCallbacks.get(signal)
  if (callbacks === undefined) {
    const set = new Set<() => void>()
    callbacks = set
    abortCallbacks.set(signal, set)
    signal.addEventListener(
      'abort',
      () => {
        for (const cb of [...set]) cb()
        set.clear()
      },
      { once: true },
    )
  }
  const set = callbacks
  const once = () => {
    set.delete(once)
    callback()
  }
  set.add(once)
  return () => set.delete(once)
}

interface Sender<T> {
  item: T
  taken: (yes: boolean) => void
}

interface Receiver<T> {
  take: (item: T) => void
  fail: (error: unknown) => void
}

/**
 * An unbuffered channel: `send` resolves true once a receiver took the item (backpressure), false
 * when the channel closed or the signal fired first; receivers are served in arrival order, so
 * several receivers share the items round robin. Nothing is ever taken by a waiter that gave up.
 */
export class Channel<T> {
  readonly #senders: Sender<T>[] = []
  readonly #receivers: Receiver<T>[] = []
  #closed = false

  get closed(): boolean {
    return this.#closed
  }

  send(item: T, signal?: AbortSignal): Promise<boolean> {
    if (this.#closed || signal?.aborted) return Promise.resolve(false)
    const receiver = this.#receivers.shift()
    if (receiver !== undefined) {
      receiver.take(item)
      return Promise.resolve(true)
    }
    return new Promise<boolean>((resolve) => {
      let unsubscribe = () => {}
      const sender: Sender<T> = {
        item,
        taken: (yes) => {
          unsubscribe()
          resolve(yes)
        },
      }
      if (signal !== undefined) {
        unsubscribe = onAbort(signal, () => {
          const at = this.#senders.indexOf(sender)
          if (at >= 0) this.#senders.splice(at, 1)
          resolve(false)
        })
      }
      this.#senders.push(sender)
    })
  }

  /** The next item; rejects with ChannelClosed once closed, with the abort reason when the signal fires. */
  receive(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal))
    const sender = this.#senders.shift()
    if (sender !== undefined) {
      sender.taken(true)
      return Promise.resolve(sender.item)
    }
    if (this.#closed) return Promise.reject(new ChannelClosed())
    return new Promise<T>((resolve, reject) => {
      let unsubscribe = () => {}
      const receiver: Receiver<T> = {
        take: (item) => {
          unsubscribe()
          resolve(item)
        },
        fail: (error) => {
          unsubscribe()
          reject(error)
        },
      }
      if (signal !== undefined) {
        unsubscribe = onAbort(signal, () => {
          const at = this.#receivers.indexOf(receiver)
          if (at >= 0) this.#receivers.splice(at, 1)
          reject(abortReason(signal))
        })
      }
      this.#receivers.push(receiver)
    })
  }

  /** Senders still waiting get false; receivers waiting (and later ones) get ChannelClosed. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const s of this.#senders.splice(0)) s.taken(false)
    for (const r of this.#receivers.splice(0)) r.fail(new ChannelClosed())
  }
}

/** Rejects with the abort reason as soon as the signal fires; the promise itself runs on. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(abortReason(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const unsubscribe = onAbort(signal, () => reject(abortReason(signal)))
    promise.then(
      (value) => {
        unsubscribe()
        resolve(value)
      },
      (error) => {
        unsubscribe()
        reject(error)
      },
    )
  })
}

export interface ExponentialBackoffConfig {
  initialMs: number
  maxMs: number
  /** 0: no limit */
  maxElapsedMs: number
  /** 0: no limit */
  maxRetries: number
  multiplier?: number
  /** spread of each wait around the current interval (cenkalti/backoff default 0.5) */
  randomization?: number
  random?: () => number
  now?: () => number
}

/**
 * The waits of Go's cenkalti/backoff ExponentialBackOff as Bento configures it: each wait is the
 * current interval ± 50 %, the interval grows 1.5× up to the maximum; `undefined` means give up
 * (the wait would end past max_elapsed_time, or max_retries waits were already handed out).
 */
export function exponentialBackoff(c: ExponentialBackoffConfig): () => number | undefined {
  const multiplier = c.multiplier ?? 1.5
  const spread = c.randomization ?? 0.5
  const random = c.random ?? Math.random
  const now = c.now ?? Date.now
  const started = now()
  let interval = c.initialMs
  let tries = 0
  return () => {
    if (c.maxRetries > 0 && tries >= c.maxRetries) return undefined
    tries++
    const delta = spread * interval
    const wait = Math.max(0, interval - delta + random() * 2 * delta)
    interval = interval >= c.maxMs / multiplier ? c.maxMs : interval * multiplier
    if (c.maxElapsedMs > 0 && now() - started + wait > c.maxElapsedMs) return undefined
    return wait
  }
}
