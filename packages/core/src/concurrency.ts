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

  acquire(): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--
      return undefined
    }
    return new Promise((resolve) => this.#waiting.push(resolve))
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
