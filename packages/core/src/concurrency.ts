import { setTimeout as sleep } from 'node:timers/promises'

/** Counts free places; `acquire` waits for one, in arrival order. */
export class Slots {
  #free: number
  readonly #waiting: (() => void)[] = []

  constructor(size: number) {
    this.#free = Math.max(1, size)
  }

  get available(): number {
    return this.#free
  }

  /**
   * Undefined when a place was free and is now taken; otherwise a promise that resolves true once
   * a place is handed over, or false when the signal fired first (then no place is taken).
   */
  acquire(signal?: AbortSignal): Promise<boolean> | undefined {
    if (this.#free > 0) {
      this.#free--
      return undefined
    }
    if (signal?.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      const onAbort = () => {
        const at = this.#waiting.indexOf(handOver)
        if (at >= 0) this.#waiting.splice(at, 1)
        resolve(false)
      }
      // The listener goes as soon as a place is handed over: waits must not pile up on the signal.
      const handOver = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve(true)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(handOver)
    })
  }

  release(): void {
    const next = this.#waiting.shift()
    if (next !== undefined) next()
    else this.#free++
  }
}

/** Resolves when the count of outstanding things drops to zero. */
export class Pending {
  #count = 0
  #idle: (() => void)[] = []

  get count(): number {
    return this.#count
  }

  add(): void {
    this.#count++
  }

  done(): void {
    this.#count--
    if (this.#count === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  idle(): Promise<void> {
    return this.#count === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve))
  }
}

export interface Backoff {
  initialMs: number
  maxMs: number
  multiplier?: number
}

/** Delays between attempts: initial, growing by the multiplier, capped. */
export function backoffDelays(b: Backoff): () => number {
  let next = b.initialMs
  return () => {
    const current = next
    next = Math.min(b.maxMs, next * (b.multiplier ?? 2))
    return current
  }
}

/** Sleeps unless aborted; resolves false when the signal fired first. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false
  try {
    await sleep(ms, undefined, { signal })
    return true
  } catch {
    return false
  }
}

export const isAbort = (err: unknown): boolean =>
  err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')
