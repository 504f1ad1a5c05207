// One subscription's delivery window: at most `maxInFlight` deliveries run at once and at most
// `queueSize` wait for a turn. Every subscription has its own, so a slow sink only ever holds up
// the host calls addressed to it.
//   at_least_once: a caller past the queue still waits (the host's DeliverMessage call is held:
//     backpressure), and after `backpressureTimeoutMs` fails with a retryable error; nothing is dropped.
//   best_effort: a caller past the queue is dropped at once (acknowledged, counted, logged).

export type DeliveryMode = 'at_least_once' | 'best_effort'

export interface WindowOptions {
  maxInFlight: number
  queueSize: number
  delivery: DeliveryMode
  /** at_least_once: how long a call may wait for room before it fails (retryable); 0 waits forever */
  backpressureTimeoutMs: number
}

/** The host may retry a delivery that failed with this (the window was full for too long). */
export class WindowFull extends Error {
  readonly retryable = true
  constructor(message: string) {
    super(message)
    this.name = 'WindowFull'
  }
}

export interface DeliveryWindow {
  /** Runs `deliver` when there is room; 'dropped' when best_effort dropped it instead. */
  run(deliver: () => Promise<void>): Promise<'delivered' | 'dropped'>
  readonly inFlight: number
  readonly waiting: number
  readonly dropped: number
}

export function deliveryWindow(o: WindowOptions, describe = 'subscription'): DeliveryWindow {
  let inFlight = 0
  let dropped = 0
  const queue: (() => void)[] = []
  const release = () => {
    const next = queue.shift()
    if (next !== undefined) next()
    else inFlight--
  }
  const acquire = (): Promise<void> | 'full' | undefined => {
    if (inFlight < o.maxInFlight) {
      inFlight++
      return undefined
    }
    if (o.delivery === 'best_effort' && queue.length >= o.queueSize) return 'full'
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      // the slot is handed over by release(): inFlight stays counted for us
      const turn = () => {
        if (timer !== undefined) clearTimeout(timer)
        resolve()
      }
      queue.push(turn)
      if (o.delivery === 'at_least_once' && o.backpressureTimeoutMs > 0) {
        timer = setTimeout(() => {
          const i = queue.indexOf(turn)
          if (i >= 0) queue.splice(i, 1)
          reject(
            new WindowFull(
              `${describe}: no room for ${o.backpressureTimeoutMs} ms (${o.maxInFlight} in flight, ${queue.length} waiting); retry later`,
            ),
          )
        }, o.backpressureTimeoutMs)
      }
    })
  }
  return {
    async run(deliver) {
      const got = acquire()
      if (got === 'full') {
        dropped++
        return 'dropped'
      }
      if (got !== undefined) await got
      try {
        await deliver()
        return 'delivered'
      } finally {
        release()
      }
    },
    get inFlight() {
      return inFlight
    },
    get waiting() {
      return queue.length
    },
    get dropped() {
      return dropped
    },
  }
}
