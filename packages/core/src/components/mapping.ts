import { DELETE, type Executor, type MessageInput, NOTHING, parse, type Value } from '@bento-ts/bloblang'
import type { Plugin, Processor } from '../component.ts'
import { type Batch, Message } from '../message.ts'
import { field } from '../spec.ts'
import { toInput } from './processors/util.ts'

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
          const input = inputs === undefined ? toInput(message) : inputs[i]!
          const next = applyMapping(
            executor,
            input,
            inputs === undefined ? { mutation } : { mutation, batch: inputs, index: i },
          )
          if (next === undefined) continue
          next.flagLike(message)
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

/**
 * Runs a mapping on one message like the engine's `apply`, into a new Message (undefined when the
 * mapping deleted it). The payload is the same `apply` gives, but kept as what the mapping made:
 * its text, or its value serialised only when someone needs the bytes. The new metadata map is
 * the engine's own fresh one.
 */
export function applyMapping(
  executor: Executor,
  input: MessageInput,
  opts: Parameters<Executor['applyRaw']>[1],
): Message | undefined {
  const { value, metadata } = executor.applyRaw(input, opts)
  return messageOf(value, metadata, input.content)
}

function messageOf(value: Value, metadata: Map<string, unknown>, unchanged: Uint8Array | string) {
  if (value === DELETE) return undefined
  if (value === NOTHING) return Message.adopt(unchanged, metadata)
  if (typeof value === 'string' || value instanceof Uint8Array) return Message.adopt(value, metadata)
  return Message.adopt({ json: value }, metadata)
}

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
