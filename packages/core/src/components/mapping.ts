import { type Executor, parse } from '@bento-ts/bloblang'
import type { Plugin, Processor } from '../component.ts'
import { type Batch, Message } from '../message.ts'
import { field } from '../spec.ts'

/**
 * `mapping` builds each message anew from `root`/`meta`; `mutation` edits the message in place.
 * A failed mapping flags the message with the error and passes it on unchanged.
 */
function mappingProcessor(executor: Executor, mutation: boolean): Processor {
  return {
    process(batch: Batch): Batch[] {
      const out: Batch = []
      const inputs = batch.length > 1 ? batch.map(toInput) : undefined
      for (let i = 0; i < batch.length; i++) {
        const message = batch[i]!
        try {
          const result = executor.apply(
            toInput(message),
            inputs === undefined ? { mutation } : { mutation, batch: inputs, index: i },
          )
          if (result.deleted) continue
          const next = new Message(result.content, result.metadata)
          next.error = message.error
          out.push(next)
        } catch (err) {
          message.error = err as Error
          out.push(message)
        }
      }
      return [out]
    },
  }
}

const toInput = (message: Message) => ({
  content: message.bytes(),
  metadata: message.metadata,
  error: message.error?.message ?? null,
})

const mappingSpec = (name: string, summary: string) => ({
  name,
  kind: 'processor' as const,
  status: 'stable' as const,
  summary,
  value: field.bloblang(name, { description: 'a Bloblang mapping' }),
})

export const mappingProcessorPlugin: Plugin<'processor'> = {
  spec: mappingSpec('mapping', 'Builds a new message from each one with a Bloblang mapping.'),
  create: (mapping: string) => mappingProcessor(parse(mapping), false),
}

export const mutationProcessorPlugin: Plugin<'processor'> = {
  spec: mappingSpec('mutation', 'Edits each message in place with a Bloblang mapping.'),
  create: (mapping: string) => mappingProcessor(parse(mapping), true),
}

export const bloblangProcessorPlugin: Plugin<'processor'> = {
  spec: mappingSpec('bloblang', 'The older name of the mapping processor.'),
  create: (mapping: string) => mappingProcessor(parse(mapping), false),
}
