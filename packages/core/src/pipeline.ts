import { combineErrors, type Processor } from './component.ts'
import type { Batch } from './message.ts'

/**
 * Runs a batch through processors in order; each may split, drop or pass batches on. Synchronous
 * (no promise) as long as every processor answers synchronously; a processor that returns a
 * promise switches the rest of the run to async.
 */
export function runProcessors(processors: readonly Processor[], batch: Batch): Batch[] | Promise<Batch[]> {
  let batches: Batch[] = [batch]
  for (let at = 0; at < processors.length; at++) {
    const processor = processors[at]!
    const next: Batch[] = []
    for (let i = 0; i < batches.length; i++) {
      const out = processor.process(batches[i]!)
      if (out instanceof Promise) return finishAsync(processors, at, batches, i, next, out)
      for (const p of out) if (p.length > 0) next.push(p)
    }
    batches = next
    if (batches.length === 0) break
  }
  return batches
}

/** The rest of runProcessors once processor `at` returned a promise for batch `i`. */
async function finishAsync(
  processors: readonly Processor[],
  at: number,
  batches: Batch[],
  i: number,
  next: Batch[],
  pending: Promise<Batch[]>,
): Promise<Batch[]> {
  for (const p of await pending) if (p.length > 0) next.push(p)
  for (let j = i + 1; j < batches.length; j++) {
    const out = processors[at]!.process(batches[j]!)
    const produced = out instanceof Promise ? await out : out
    for (const p of produced) if (p.length > 0) next.push(p)
  }
  let current = next
  for (let k = at + 1; k < processors.length && current.length > 0; k++) {
    const following: Batch[] = []
    for (const b of current) {
      const out = processors[k]!.process(b)
      const produced = out instanceof Promise ? await out : out
      for (const p of produced) if (p.length > 0) following.push(p)
    }
    current = following
  }
  return current
}

/**
 * Acknowledges an origin once every batch derived from it has settled: with the first error if
 * any failed, without one otherwise. Each derived batch settles exactly once.
 */
export function ackAfterAll(count: number, ack: (error?: Error) => void): (error?: Error) => void {
  let remaining = count
  let firstError: Error | undefined
  if (count === 0) ack()
  return (error) => {
    if (remaining === 0) throw new Error('a derived batch was settled twice')
    if (error !== undefined) firstError = combineErrors(firstError, error)
    if (--remaining === 0) ack(firstError)
  }
}
