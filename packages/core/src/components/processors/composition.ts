// Processors that compose others: catch, try, for_each, processors, parallel, resource.

import type { ParsedComponent, Plugin, Processor } from '../../component.ts'
import type { Batch, Message } from '../../message.ts'
import { runProcessors } from '../../pipeline.ts'
import { field } from '../../spec.ts'
import { closeAll, runAll } from './util.ts'

const processorList = (description: string) => field.array('', 'processor', { default: [], description })

/** Bento's ExecuteCatchAll: children run, stage by stage, only on messages that entered flagged. */
async function catchAll(processors: readonly Processor[], batch: Batch): Promise<Batch[]> {
  const entries = batch.map((m) => ({ batches: [[m]] as Batch[], caught: m.error !== undefined }))
  for (const p of processors) {
    for (const entry of entries) {
      if (!entry.caught || entry.batches.length === 0) continue
      const next: Batch[] = []
      for (const b of entry.batches) {
        for (const out of await p.process(b)) if (out.length > 0) next.push(out)
      }
      entry.batches = next
    }
  }
  return entries.flatMap((e) => e.batches)
}

/** Bento's ExecuteTryAll: a batch whose first message is flagged skips the remaining stages. */
async function tryAll(processors: readonly Processor[], batches: Batch[]): Promise<Batch[]> {
  let current = batches
  for (const p of processors) {
    if (current.length === 0) break
    const next: Batch[] = []
    for (const b of current) {
      if (b[0]?.error !== undefined) {
        next.push(b)
        continue
      }
      for (const out of await p.process(b)) if (out.length > 0) next.push(out)
    }
    current = next
  }
  return current
}

const flatten = (batches: Batch[]): Batch[] => {
  const out = batches.flat()
  return out.length === 0 ? [] : [out]
}

export const catchProcessor: Plugin<'processor'> = {
  spec: {
    name: 'catch',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'Applies a list of child processors only to messages that failed a previous processing step, then clears their error flags.',
    description:
      'Behaves like for_each: each message is processed on its own. Messages that were not flagged pass through untouched. After the children, every message leaving the catch has its error flag cleared.',
    value: processorList('processors to run on failed messages'),
  },
  async create(config: ParsedComponent[], context) {
    const children = await context.build.processors(config)
    return {
      async process(batch: Batch): Promise<Batch[]> {
        const out = flatten(await catchAll(children, batch))
        for (const b of out) for (const m of b) m.error = undefined
        return out
      },
      close: () => closeAll(children),
    }
  },
}

export const tryProcessor: Plugin<'processor'> = {
  spec: {
    name: 'try',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'Executes a list of child processors on messages only if no prior processors have failed (or the errors have been cleared).',
    description:
      'Each message is processed on its own; once a child fails on a message, the remaining children are skipped for it and it leaves the try flagged.',
    value: processorList('processors to run in order until one fails'),
  },
  async create(config: ParsedComponent[], context) {
    const children = await context.build.processors(config)
    return {
      async process(batch: Batch): Promise<Batch[]> {
        return flatten(
          await tryAll(
            children,
            batch.map((m) => [m]),
          ),
        )
      },
      close: () => closeAll(children),
    }
  },
}

export const forEachProcessor: Plugin<'processor'> = {
  spec: {
    name: 'for_each',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'Applies a list of child processors to messages of a batch individually, as if each were a batch of one.',
    value: processorList('processors to run on each message on its own'),
  },
  async create(config: ParsedComponent[], context) {
    const children = await context.build.processors(config)
    return {
      async process(batch: Batch): Promise<Batch[]> {
        const out: Message[] = []
        for (const m of batch) for (const b of await runAll(children, [[m]])) out.push(...b)
        return out.length === 0 ? [] : [out]
      },
      close: () => closeAll(children),
    }
  },
}

export const processorsProcessor: Plugin<'processor'> = {
  spec: {
    name: 'processors',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary: 'A processor grouping several sub-processors, applied in order to the whole batch.',
    description: 'Useful where only one processor is allowed, and to label a group of processors.',
    value: processorList('processors to run in order'),
  },
  async create(config: ParsedComponent[], context) {
    const children = await context.build.processors(config)
    return {
      process: (batch: Batch) => (batch.length === 0 ? [] : runProcessors(children, batch)),
      close: () => closeAll(children),
    }
  },
}

interface ParallelConfig {
  cap: number
  processors: ParsedComponent[]
}

export const parallelProcessor: Plugin<'processor'> = {
  spec: {
    name: 'parallel',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'Applies a list of child processors to each message of a batch in parallel, each message on its own; the batch keeps its order.',
    fields: [
      field.int('cap', {
        default: 0,
        description: 'The maximum number of messages processed at once (0: no limit).',
      }),
      field.array('processors', 'processor', { description: 'Processors to apply to each message.' }),
    ],
  },
  async create(config: ParallelConfig, context) {
    const children = await context.build.processors(config.processors ?? [])
    return {
      async process(batch: Batch): Promise<Batch[]> {
        const results: Message[][] = batch.map((m) => [m])
        const workers = config.cap <= 0 || batch.length < config.cap ? batch.length : config.cap
        let next = 0
        const work = async () => {
          while (next < batch.length) {
            const index = next++
            // A child that throws stops this worker; its message passes on unchanged (as in Bento).
            try {
              results[index] = (await runAll(children, [[batch[index]!]])).flat()
            } catch {
              return
            }
          }
        }
        await Promise.all(Array.from({ length: workers }, work))
        const out = results.flat()
        return [out]
      },
      close: () => closeAll(children),
    }
  },
}

export const resourceProcessor: Plugin<'processor'> = {
  spec: {
    name: 'resource',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary: 'Runs a processor resource identified by its label.',
    value: field.string('', {
      default: '',
      resource: 'processor',
      description: 'the label of a processor resource',
    }),
  },
  create(label: string, context) {
    // Looked up on first use: processor resources may refer to each other in any order.
    let target: Processor | undefined
    const resolve = (): Processor => {
      if (target === undefined) {
        try {
          target = context.resources.processor(label)
        } catch (err) {
          throw new Error(`processor resource '${label}' was not found`, { cause: err })
        }
      }
      return target
    }
    return { process: (batch: Batch) => resolve().process(batch) }
  },
}
