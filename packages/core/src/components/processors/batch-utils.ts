// Small batch utilities: split, select_parts, insert_part, bounds_check, noop, sync_response.

import type { Plugin } from '../../component.ts'
import type { Batch, Message } from '../../message.ts'
import { field } from '../../spec.ts'
import { addSyncResponses, expectSyncResponses } from '../../sync-response.ts'
import { BatchView, errorOf, interpolated } from './util.ts'

interface SplitConfig {
  size: number
  byte_size: number
}

export const splitProcessor: Plugin<'processor'> = {
  spec: {
    name: 'split',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary: 'Breaks message batches (synonymous with multiple part messages) into smaller batches.',
    description:
      'The size of the resulting batches is set by `size` (messages) and/or `byte_size` (payload bytes); a batch is cut when either limit would be passed. A single message larger than byte_size forms its own batch.',
    fields: [
      field.int('size', { default: 1, description: 'The target number of messages.' }),
      field.int('byte_size', {
        default: 0,
        description: 'An optional target of total message bytes.',
      }),
    ],
  },
  create(config: SplitConfig, context) {
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        if (batch.length === 0) return []
        const out: Batch[] = []
        let next: Batch = []
        let bytes = 0
        for (const m of batch) {
          const size = m.bytes().length
          if (
            (config.size > 0 && next.length >= config.size) ||
            (config.byte_size > 0 && bytes + size > config.byte_size)
          ) {
            if (next.length > 0) {
              out.push(next)
              next = []
              bytes = 0
            } else {
              logger.warn(
                `A single message exceeds the target batch byte size of '${config.byte_size}', actual size: '${size}'`,
              )
            }
          }
          next.push(m)
          bytes += size
        }
        if (next.length > 0) out.push(next)
        return out
      },
    }
  },
}

export const selectPartsProcessor: Plugin<'processor'> = {
  spec: {
    name: 'select_parts',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary:
      'Cherry pick a set of messages from a batch by their index. Indexes larger than the number of messages are simply ignored.',
    description:
      'Selected messages are added in the order of `parts`; negative indexes count from the end (-1 is the last). If none are selected the batch is dropped.',
    fields: [
      field.array('parts', 'int', {
        default: [],
        description:
          'An array of message indexes of a batch. Indexes can be negative, and if so the part will be selected from the end counting backwards starting from -1.',
      }),
    ],
  },
  create(config: { parts: number[] }) {
    return {
      process(batch: Batch): Batch[] {
        const out: Batch = []
        for (let index of config.parts) {
          if (index < 0) index += batch.length
          if (index < 0 || index >= batch.length) continue
          out.push(batch[index]!.copy())
        }
        return out.length === 0 ? [] : [out]
      },
    }
  },
}

export const insertPartProcessor: Plugin<'processor'> = {
  spec: {
    name: 'insert_part',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'Insert a new message into a batch at an index. If the specified index is greater than the length of the existing batch it will be appended to the end.',
    description:
      'A negative index counts from the end (-1: the new message becomes the last). The new message takes the metadata of the first message of the batch. `content` is interpolated (against the first message).',
    fields: [
      field.int('index', {
        default: -1,
        description: 'The index within the batch to insert the message at.',
      }),
      field.interpolated('content', {
        default: '',
        description: 'The content of the message being inserted.',
      }),
    ],
  },
  create(config: { index: number; content: string }, context) {
    const content = interpolated(config.content, 'content')
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        if (batch.length === 0) return []
        let bytes: Uint8Array
        try {
          bytes = content.bytes(new BatchView(batch), 0)
        } catch (err) {
          logger.error(`Content interpolation error: ${errorOf(err).message}`)
          return [batch]
        }
        let index = config.index
        if (index < 0) index = Math.max(batch.length + index + 1, 0)
        else if (index > batch.length) index = batch.length
        const inserted = batch[0]!.copy()
        inserted.setBytes(bytes)
        const out = batch.map((m) => m.copy())
        out.splice(index, 0, inserted)
        return [out]
      },
    }
  },
}

interface BoundsConfig {
  max_part_size: number
  min_part_size: number
  max_parts: number
  min_parts: number
}

export const boundsCheckProcessor: Plugin<'processor'> = {
  spec: {
    name: 'bounds_check',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary: 'Removes messages (and batches) that do not fit within certain size boundaries.',
    fields: [
      field.int('max_part_size', {
        default: 1073741824,
        description: 'The maximum size of a message to allow (in bytes)',
      }),
      field.int('min_part_size', {
        default: 1,
        description: 'The minimum size of a message to allow (in bytes)',
      }),
      field.int('max_parts', {
        default: 100,
        advanced: true,
        description: 'The maximum size of message batches to allow (in message count)',
      }),
      field.int('min_parts', {
        default: 1,
        advanced: true,
        description: 'The minimum size of message batches to allow (in message count)',
      }),
    ],
  },
  create(config: BoundsConfig, context) {
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        if (batch.length < config.min_parts) {
          logger.debug(
            `Rejecting message due to message parts below minimum (${config.min_parts}): ${batch.length}`,
          )
          return []
        }
        if (batch.length > config.max_parts) {
          logger.debug(
            `Rejecting message due to message parts exceeding limit (${config.max_parts}): ${batch.length}`,
          )
          return []
        }
        for (const m of batch) {
          const size = m.bytes().length
          if (size > config.max_part_size || size < config.min_part_size) {
            logger.debug(
              `Rejecting message due to message part size (${size} -> ${config.min_part_size}-${config.max_part_size})`,
            )
            return []
          }
        }
        return [batch]
      },
    }
  },
}

export const noopProcessor: Plugin<'processor'> = {
  spec: {
    name: 'noop',
    kind: 'processor',
    status: 'stable',
    summary: 'Noop is a processor that does nothing, the message passes through unchanged.',
    value: field.object('', [], { default: {} }),
  },
  create: () => ({ process: (batch: Batch) => [batch] }),
}

/**
 * Sync responses stored by `sync_response`, keyed by the message they were taken from. An input
 * that can answer its caller (http_server) looks up the messages of a batch once it is processed.
 * Each entry is a snapshot (copy) of the message at the time, so later processors do not change it.
 */
export const syncResponses = new WeakMap<Message, Message>()

/** The response stored for a message by a `sync_response` processor, if any. */
export const syncResponseOf = (message: Message): Message | undefined => syncResponses.get(message)

export const syncResponseProcessor: Plugin<'processor'> = {
  spec: {
    name: 'sync_response',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary:
      'Adds the payload in its current state as a synchronous response to the input source, where it is dealt with according to that specific input type.',
    description:
      'For most inputs this is ignored and the response is dropped without penalty. Inputs that answer their caller (http_server) put a response store in the metadata of each message (`__sync_response`); the response is added to it. It is also kept in `syncResponses` (a WeakMap exported beside the processor) keyed by the message.',
    value: field.object('', [], { default: {} }),
  },
  create: (_config, context) => {
    expectSyncResponses(context)
    return {
      process(batch: Batch): Batch[] {
        for (const m of batch) syncResponses.set(m, m.copy())
        // An input that answers its caller (http_server) reads these once the batch is acknowledged.
        addSyncResponses(batch)
        return [batch]
      },
    }
  },
}
