import { type AckFn, EndOfInput, type Input, InputDraining } from './component.ts'
import { backoffDelays, pause } from './concurrency.ts'
import type { Batch } from './message.ts'

interface Outstanding {
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
  let wake: (() => void) | undefined
  const notify = () => {
    wake?.()
    wake = undefined
  }
  const wrapAck =
    (entry: Outstanding): AckFn =>
    async (error) => {
      if (error === undefined) {
        outstanding--
        notify()
        return entry.ack()
      }
      entry.attempts++
      replays.push(entry)
      notify()
    }
  /** Waits for a nack to replay or the last delivery; false when the signal fired first. */
  const settled = (signal: AbortSignal) =>
    new Promise<boolean>((resolve) => {
      const onAbort = () => resolve(false)
      signal.addEventListener('abort', onAbort, { once: true })
      wake = () => {
        signal.removeEventListener('abort', onAbort)
        resolve(true)
      }
    })

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
          return { batch: entry.batch.map((m) => m.copy()), ack: wrapAck(entry) }
        }
        if (ended) {
          if (outstanding === 0) throw new EndOfInput()
          if (!drainingSaid) {
            drainingSaid = true
            throw new InputDraining()
          }
          if (!(await settled(signal)))
            throw new DOMException('stopped while waiting for redeliveries', 'AbortError')
          continue
        }
        let read: Awaited<ReturnType<Input['read']>>
        try {
          read = await input.read(signal)
        } catch (err) {
          if (!(err instanceof EndOfInput)) throw err
          ended = true
          continue
        }
        outstanding++
        const fresh: Outstanding = { batch: read.batch.map((m) => m.copy()), ack: read.ack, attempts: 0 }
        return { batch: read.batch, ack: wrapAck(fresh) }
      }
    },
  }
}
