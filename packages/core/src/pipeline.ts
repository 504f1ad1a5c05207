import type { Processor } from './component.ts'
import type { Batch } from './message.ts'

/** Runs a batch through processors in order; each may split, drop or pass batches on. */
export async function runProcessors(processors: readonly Processor[], batch: Batch): Promise<Batch[]> {
  let batches: Batch[] = [batch]
  for (const processor of processors) {
    const next: Batch[] = []
    for (const b of batches) {
      const out = processor.process(b)
      const produced = out instanceof Promise ? await out : out
      for (const p of produced) if (p.length > 0) next.push(p)
    }
    batches = next
    if (batches.length === 0) break
  }
  return batches
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
    if (error !== undefined && firstError === undefined) firstError = error
    if (--remaining === 0) ack(firstError)
  }
}
