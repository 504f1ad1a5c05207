import type { Plugin } from '../component.ts'
import type { Batch } from '../message.ts'
import { field } from '../spec.ts'

export const dropOutput: Plugin<'output'> = {
  spec: {
    name: 'drop',
    kind: 'output',
    status: 'stable',
    summary: 'Acknowledges and discards every message.',
    fields: [],
  },
  create: () => ({
    connect: async () => {},
    write: async () => {},
    close: async () => {},
    maxInFlight: 64,
  }),
}

export const rejectOutput: Plugin<'output'> = {
  spec: {
    name: 'reject',
    kind: 'output',
    status: 'stable',
    summary: 'Nacks every message with an error (interpolated), so the source redelivers it.',
    value: field.interpolated('reject', { description: 'the error message' }),
  },
  create(message: string) {
    return {
      connect: async () => {},
      write: async () => {
        throw new Error(message)
      },
      close: async () => {},
    }
  },
}

const newline = new Uint8Array([10])

/** Writes each message followed by a newline, respecting the stream's backpressure. */
function writeLines(stream: NodeJS.WritableStream, batch: Batch): Promise<void> {
  let ok = true
  for (const message of batch) {
    ok = stream.write(message.bytes()) && ok
    ok = stream.write(newline) && ok
  }
  if (ok) return Promise.resolve()
  return new Promise((resolve) => stream.once('drain', () => resolve()))
}

export const stdoutOutput: Plugin<'output'> = {
  spec: {
    name: 'stdout',
    kind: 'output',
    status: 'stable',
    summary: 'Prints each message to stdout, one per line.',
    fields: [field.string('codec', { default: 'lines', options: ['lines'], advanced: true })],
  },
  create: () => ({
    connect: async () => {},
    write: (batch) => writeLines(process.stdout, batch),
    close: async () => {},
    // Lines of one stream must not interleave.
    maxInFlight: 1,
  }),
}
