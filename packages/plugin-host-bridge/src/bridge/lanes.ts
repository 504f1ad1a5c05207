// Deliveries to the host in `parallel` lanes: a message goes to the lane its key (the entity's
// foreign id) hashes to, so one entity's events stay in order while different entities proceed in
// parallel. A failed delivery is retried in place after `errorBackoffMs` (its lane waits: order
// holds); `consumeLagMs` holds each event until it is at least that old; the age of the oldest
// undelivered event is watched against `lagAlertMs`. Clocks and sleep are injectable for tests.

export interface LaneOptions {
  parallel: number
  /** 0: a failed delivery fails at once (the source redelivers); else retried after this pause */
  errorBackoffMs: number
  consumeLagMs: number
  /** 0: off */
  lagAlertMs: number
  now?: () => number
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** the oldest undelivered event crossed lagAlertMs (called once per crossing) */
  onLagAlert?: (ageMs: number) => void
  /** the age of the oldest undelivered event, each time it is checked */
  onLag?: (ageMs: number) => void
  /** a delivery failed and will be retried */
  onRetry?: (error: Error, attempt: number) => void
}

export interface Lanes<T> {
  /** Resolves once `item` was delivered (after any retries); rejects when closed first. */
  submit(key: string, createdAtMs: number, item: T): Promise<void>
  /** Checks the oldest undelivered event against lag_alert (the lanes also do so on a timer). */
  checkLag(): number
  close(): void
  readonly pending: number
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })

/** FNV-1a: cheap and stable, spreads similar ids over lanes. */
export function laneOf(key: string, lanes: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % lanes
}

export function createLanes<T>(o: LaneOptions, deliver: (item: T) => Promise<void>): Lanes<T> {
  const now = o.now ?? Date.now
  const sleep = o.sleep ?? defaultSleep
  const parallel = Math.max(1, o.parallel)
  const tails: Promise<void>[] = Array.from({ length: parallel }, () => Promise.resolve())
  const closing = new AbortController()
  const undelivered = new Map<number, number>() // ticket → created at
  let tickets = 0
  let alerting = false

  const checkLag = (): number => {
    let oldest = Number.POSITIVE_INFINITY
    for (const created of undelivered.values()) if (created < oldest) oldest = created
    const age = oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, now() - oldest)
    o.onLag?.(age)
    if (o.lagAlertMs > 0) {
      if (age > o.lagAlertMs && !alerting) {
        alerting = true
        o.onLagAlert?.(age)
      } else if (age <= o.lagAlertMs) alerting = false
    }
    return age
  }
  const timer =
    o.lagAlertMs > 0 ? setInterval(checkLag, Math.min(1000, Math.max(50, o.lagAlertMs / 2))) : undefined
  timer?.unref()

  const run = async (createdAt: number, item: T): Promise<void> => {
    const hold = createdAt + o.consumeLagMs - now()
    if (o.consumeLagMs > 0 && hold > 0) await sleep(hold, closing.signal)
    for (let attempt = 1; ; attempt++) {
      if (closing.signal.aborted) throw closing.signal.reason
      try {
        await deliver(item)
        return
      } catch (err) {
        if (o.errorBackoffMs <= 0) throw err
        o.onRetry?.(err as Error, attempt)
        await sleep(o.errorBackoffMs, closing.signal)
      }
    }
  }

  return {
    submit(key, createdAtMs, item) {
      const ticket = tickets++
      undelivered.set(ticket, createdAtMs)
      const lane = laneOf(key, parallel)
      const done = tails[lane]!.then(() => run(createdAtMs, item)).finally(() => undelivered.delete(ticket))
      // the lane goes on after a failure; the caller sees it through `done`
      tails[lane] = done.catch(() => {})
      return done
    },
    checkLag,
    close() {
      if (timer !== undefined) clearInterval(timer)
      closing.abort(new Error('stopping: delivery cancelled'))
    },
    get pending() {
      return undelivered.size
    },
  }
}
