import type { AckFn, Input } from './component.ts'
import { backoffDelays, pause } from './concurrency.ts'
import type { Batch } from './message.ts'

/**
 * Bento's `auto_replay_nacks`: a nacked batch is kept and read again before any new data, until
 * it is delivered. The first two replays are immediate, then the wait grows from 1 ms by 1.1×,
 * capped at 1 s. Without it (`false`) a nacked batch is acknowledged, i.e. dropped.
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
  const replays: { batch: Batch; ack: AckFn; attempts: number }[] = []
  const wrapAck = (entry: { batch: Batch; ack: AckFn; attempts: number }): AckFn => {
    return async (error) => {
      if (error === undefined) return entry.ack()
      entry.attempts++
      replays.push(entry)
    }
  }
  return {
    connect: (s) => input.connect(s),
    close: () => input.close(),
    async read(signal) {
      const entry = replays.shift()
      if (entry !== undefined) {
        if (entry.attempts > 2) {
          const delay = backoffDelays({ initialMs: 1, maxMs: 1000, multiplier: 1.1 })
          let wait = 0
          for (let i = 2; i < entry.attempts; i++) wait = delay()
          await pause(wait, signal)
        }
        // Each replay hands out copies so a processor's changes do not leak into the next try.
        return { batch: entry.batch.map((m) => m.copy()), ack: wrapAck(entry) }
      }
      const read = await input.read(signal)
      const fresh = { batch: read.batch.map((m) => m.copy()), ack: read.ack, attempts: 0 }
      return { batch: read.batch, ack: wrapAck(fresh) }
    },
  }
}
