import { parseField } from '../component.ts'
import { defineOutput } from '../kit/declare.ts'
import { interpolation } from '../kit/interpolation.ts'
import type { Batch } from '../message.ts'
import { field } from '../spec.ts'
import { endsWith, type WriterCodec, writerCodec } from './io/file.ts'
import { BatchView } from './processors/util.ts'

export const dropOutput = defineOutput({
  name: 'drop',
  status: 'stable',
  summary: 'Acknowledges and discards every message.',
  fields: [],
  create: () => ({
    connect: async () => {},
    write: async () => {},
    close: async () => {},
    maxInFlight: 64,
  }),
})

export const rejectOutput = defineOutput({
  name: 'reject',
  status: 'stable',
  summary: 'Nacks every message with an error (interpolated), so the source redelivers it.',
  value: field.interpolated('reject', { description: 'the error message' }),
  create(message) {
    const reason = interpolation('reject', message)
    return {
      connect: async () => {},
      // Bento renders the reason for the batch's first message, and the whole batch fails with it.
      write: async (batch) => {
        throw new Error(reason.text(new BatchView(batch), 0))
      },
      close: async () => {},
    }
  },
})

/**
 * Writes each message as the codec says (Bento's: a suffix only where the message does not end
 * with it already), respecting the stream's backpressure.
 */
function writeEncoded(stream: NodeJS.WritableStream, codec: WriterCodec, batch: Batch): Promise<void> {
  let ok = true
  for (const message of batch) {
    const data = message.bytes()
    ok = stream.write(data) && ok
    if (codec.suffix !== undefined && !endsWith(data, codec.suffix)) ok = stream.write(codec.suffix) && ok
  }
  if (ok) return Promise.resolve()
  return new Promise((resolve) => stream.once('drain', () => resolve()))
}

export const stdoutOutput = defineOutput({
  name: 'stdout',
  status: 'stable',
  summary: 'Prints each message to stdout, one per line.',
  fields: [
    field.string('codec', {
      default: 'lines',
      description:
        'How messages are written: `lines` (a line break after each message that does not end with one), `delim:x`, `append` or `all-bytes`.',
      examples: ['lines', 'delim:\t'],
    }),
  ],
  create(config) {
    const codec = parseField('codec', () => writerCodec(config.codec))
    return {
      connect: async () => {},
      write: (batch) => writeEncoded(process.stdout, codec, batch),
      close: async () => {},
      // Lines of one stream must not interleave.
      maxInFlight: 1,
    }
  },
})
