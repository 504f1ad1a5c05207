import { type AckFn, BatchError, EndOfInput, type Input, InputDraining } from './component.ts'
import { backoffDelays, isAbort, pause } from './concurrency.ts'
import type { Batch } from './message.ts'

type Read = Awaited<ReturnType<Input['read']>>

interface Outstanding {
  /** what is still to deliver, as read (copies are handed out) */
  batch: Batch
  ack: AckFn
  attempts: number
}

/**
 * Bento's `auto_replay_nacks`: a nacked batch is kept and read again before any new data, until
 * it is delivered. The first two replays are immediate, then the wait grows from 1 ms by 1.1×,
 * capped at 1 s. Without it (`false`) a nacked batch is acknowledged, i.e. dropped.
 *
 * The input only ends once every batch it handed out was delivered: a source that ran dry while
 * a nack was still on its way must still replay it.
 */
export function autoReplayNacks(input: Input, enabled = true): Input {
  if (!enabled) {
    return {
      connect: (s) => input.connect(s),
      close: () => input.close(),
      async read(signal) {
        const read = await input.read(signal)
        return { batch: read.batch, ack: () => read.ack() }
      },
    }
  }
  const replays: Outstanding[] = []
  let outstanding = 0
  let ended = false
  // Said once each time the input starts waiting for its last deliveries (see InputDraining).
  let drainingSaid = false
  // A read of the source still under way when a nack came in: the next call takes it up, so
  // nothing it brings is lost and a replay never waits for new data to arrive.
  let pending: Promise<{ read?: Read; error?: unknown }> | undefined
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const w of waiters) w()
    waiters.clear()
  }
  const wrapAck =
    (entry: Outstanding, handedOut: Batch): AckFn =>
    async (error) => {
      if (error === undefined) {
        outstanding--
        notify()
        return entry.ack()
      }
      // Part of the batch was delivered: only the rest is replayed (when the output's error says
      // which messages of what we handed out failed; otherwise all of it).
      const parts = error instanceof BatchError ? error.splitOver([handedOut]) : null
      const failed = parts?.[0]
      if (failed !== undefined) entry.batch = entry.batch.filter((_, i) => failed.failures.has(handedOut[i]!))
      entry.attempts++
      replays.push(entry)
      notify()
    }
  /** 'woken' at the next ack or nack, 'aborted' when the signal fires first; `cancel` forgets it. */
  const nextSettle = (signal: AbortSignal) => {
    let cancel = () => {}
    const settled = new Promise<'woken' | 'aborted'>((resolve) => {
      if (signal.aborted) return resolve('aborted')
      const onAbort = () => {
        waiters.delete(wake)
        resolve('aborted')
      }
      const wake = () => {
        signal.removeEventListener('abort', onAbort)
        resolve('woken')
      }
      signal.addEventListener('abort', onAbort, { once: true })
      waiters.add(wake)
      cancel = () => {
        waiters.delete(wake)
        signal.removeEventListener('abort', onAbort)
      }
    })
    return { settled, cancel }
  }

  return {
    connect: (s) => input.connect(s),
    close: () => input.close(),
    async read(signal) {
      for (;;) {
        const entry = replays.shift()
        if (entry !== undefined) {
          if (entry.attempts > 2) {
            const delay = backoffDelays({ initialMs: 1, maxMs: 1000, multiplier: 1.1 })
            let wait = 0
            for (let i = 2; i < entry.attempts; i++) wait = delay()
            await pause(wait, signal)
          }
          drainingSaid = false
          // Each replay hands out copies so a processor's changes do not leak into the next try.
          const batch = entry.batch.map((m) => m.copy())
          return { batch, ack: wrapAck(entry, batch) }
        }
        if (ended) {
          if (outstanding === 0) throw new EndOfInput()
          if (!drainingSaid) {
            drainingSaid = true
            throw new InputDraining()
          }
          if ((await nextSettle(signal).settled) === 'aborted')
            throw new DOMException('stopped while waiting for redeliveries', 'AbortError')
          continue
        }
        pending ??= input.read(signal).then(
          (read) => ({ read }),
          (error: unknown) => ({ error }),
        )
        const settle = nextSettle(signal)
        const result = await Promise.race([pending, settle.settled])
        settle.cancel()
        if (result === 'woken') continue // a nack to replay, or just an ack: look again
        if (result === 'aborted') throw new DOMException('read aborted', 'AbortError')
        pending = undefined
        if (result.error !== undefined) {
          if (result.error instanceof EndOfInput) {
            ended = true
            continue
          }
          // A read begun under an earlier call's signal (e.g. a batching period) was aborted by
          // it; this call's signal is still live, so read again.
          if (isAbort(result.error) && !signal.aborted) continue
          throw result.error
        }
        const read = result.read!
        outstanding++
        const fresh: Outstanding = { batch: read.batch.map((m) => m.copy()), ack: read.ack, attempts: 0 }
        return { batch: read.batch, ack: wrapAck(fresh, read.batch) }
      }
    },
  }
}
