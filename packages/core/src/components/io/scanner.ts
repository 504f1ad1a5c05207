// Scanners split a byte stream (stdin, a file) into messages, like Bento's `scanner` field. The
// implemented ones are `lines`, `to_the_end` and `chunker`; the deprecated `codec` field is read
// for `lines`, `all-bytes` and `delim:x`.

import type { Readable } from 'node:stream'
import { type Batch, Message } from '../../message.ts'
import { type FieldSpec, field } from '../../spec.ts'
import { abortable } from './channel.ts'

/** Reads chunks from a stream; a read given up on (abort) is handed to the next read, not lost. */
export class ByteReader {
  readonly #stream: Readable
  readonly #chunks: AsyncIterator<Buffer | string>
  #pending: Promise<IteratorResult<Buffer | string>> | undefined

  constructor(stream: Readable) {
    this.#stream = stream
    this.#chunks = stream[Symbol.asyncIterator]()
  }

  /** The next chunk, or undefined at the end of the stream. */
  async read(signal?: AbortSignal): Promise<Uint8Array | undefined> {
    this.#pending ??= this.#chunks.next()
    const result = await abortable(this.#pending, signal)
    this.#pending = undefined
    if (result.done === true) return undefined
    return typeof result.value === 'string' ? Buffer.from(result.value) : result.value
  }

  close(): void {
    this.#stream.destroy()
  }
}

export interface ScannerStream {
  /** The next batch, or undefined when the source is exhausted. */
  next(signal?: AbortSignal): Promise<Batch | undefined>
  close(): Promise<void>
}

export interface ScannerCreator {
  create(reader: ByteReader): ScannerStream
}

const linesFields = [
  field.string('custom_delimiter', {
    optional: true,
    description:
      'Use a provided custom delimiter for detecting the end of a line rather than a single line break.',
  }),
  field.int('max_buffer_size', {
    default: 65536,
    description:
      'Set the maximum buffer size for storing line data, this limits the maximum size that a line can be without causing an error.',
  }),
  field.bool('omit_empty', { default: false, description: 'Omit empty lines.' }),
]

const scannerTypes: readonly FieldSpec[] = [
  field.object('lines', linesFields, {
    optional: true,
    description: 'Split an input stream into a message per line of data.',
  }),
  field.object('to_the_end', [], {
    optional: true,
    description: 'Read the input stream all the way until the end and deliver it as a single message.',
  }),
  field.object('chunker', [field.int('size', { description: 'The size of each chunk in bytes.' })], {
    optional: true,
    description: 'Split an input stream into chunks of a given number of bytes.',
  }),
]

/** Bento's `scanner` field with its default (`{ lines: {} }` for stdin and file). */
export const scannerField = (defaultScanner: string): FieldSpec =>
  field.object('scanner', scannerTypes, {
    default: { [defaultScanner]: {} },
    description:
      'The scanner by which the stream of bytes consumed will be broken out into individual messages. Implemented: lines, to_the_end, chunker.',
  })

/** The deprecated `codec` and `max_buffer` fields kept for old configs, then `scanner`. */
export const codecFields = (defaultScanner: string): FieldSpec[] => [
  field.string('codec', { optional: true, deprecated: true, advanced: true }),
  field.int('max_buffer', { default: 1000000, deprecated: true, advanced: true }),
  scannerField(defaultScanner),
]

interface LinesConfig {
  custom_delimiter?: string
  max_buffer_size?: number
  omit_empty?: boolean
}

export interface ScannerConfig {
  codec?: string
  max_buffer?: number
  scanner?: Record<string, unknown>
}

/** Builds the scanner a config names; throws with the reason when it is not usable. */
export function scannerFromConfig(config: ScannerConfig): ScannerCreator {
  if (config.codec !== undefined) return fromCodec(config.codec, config.max_buffer || 1000000)
  const scanner = config.scanner ?? { lines: {} }
  const names = Object.keys(scanner).filter((k) => scanner[k] !== undefined)
  if (names.length !== 1) {
    throw new Error(
      `scanner must name exactly one scanner, found ${names.length === 0 ? 'none' : names.join(', ')}`,
    )
  }
  const name = names[0]!
  const conf = (scanner[name] ?? {}) as Record<string, unknown>
  switch (name) {
    case 'lines':
      return linesScanner(conf as LinesConfig)
    case 'to_the_end':
      return toTheEnd
    case 'chunker': {
      const size = conf.size as number
      if (!(size > 0)) throw new Error('chunker size must be greater than zero')
      return chunker(size)
    }
    default:
      throw new Error(`scanner ${name} is not supported`)
  }
}

function fromCodec(codec: string, maxBuffer: number): ScannerCreator {
  if (codec === 'lines') return linesScanner({ max_buffer_size: maxBuffer })
  if (codec === 'all-bytes') return toTheEnd
  if (codec.startsWith('delim:')) {
    const delimiter = codec.slice('delim:'.length)
    if (delimiter === '') throw new Error('custom delimiter codec requires a non-empty delimiter')
    return linesScanner({ custom_delimiter: delimiter, max_buffer_size: maxBuffer })
  }
  throw new Error(`codec was not recognised: ${codec}`)
}

const copyOf = (bytes: Uint8Array): Uint8Array => Uint8Array.prototype.slice.call(bytes)

/** A Buffer over the same memory (no copy). */
const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** Go's bufio.Scanner with ScanLines (trailing \r dropped) or a custom delimiter. */
function linesScanner(c: LinesConfig): ScannerCreator {
  const custom = c.custom_delimiter !== undefined && c.custom_delimiter !== ''
  const delimiter = Buffer.from(custom ? c.custom_delimiter! : '\n')
  const maxSize = c.max_buffer_size ?? 65536
  const omitEmpty = c.omit_empty ?? false
  const dropCR = (line: Buffer): Buffer =>
    !custom && line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line
  return {
    create(reader) {
      let rest: Buffer = Buffer.alloc(0)
      let ended = false
      const token = async (signal?: AbortSignal): Promise<Buffer | undefined> => {
        for (;;) {
          const at = rest.indexOf(delimiter)
          // Go's scanner holds a token and its delimiter in a buffer of max_buffer_size bytes.
          if (at >= 0 ? at + delimiter.length > maxSize : rest.length >= maxSize) {
            throw new Error('bufio.Scanner: token too long')
          }
          if (at >= 0) {
            const line = rest.subarray(0, at)
            rest = rest.subarray(at + delimiter.length)
            return dropCR(line)
          }
          if (ended) {
            if (rest.length === 0) return undefined
            const line = rest
            rest = Buffer.alloc(0)
            return dropCR(line)
          }
          const chunk = await reader.read(signal)
          if (chunk === undefined) ended = true
          else rest = rest.length === 0 ? asBuffer(chunk) : Buffer.concat([rest, chunk])
        }
      }
      return {
        async next(signal) {
          for (;;) {
            const line = await token(signal)
            if (line === undefined) return undefined
            if (omitEmpty && line.length === 0) continue
            // A view, not a copy: chunks are never reused by their stream, and `rest` only ever
            // moves on or is replaced by a new concatenation.
            return [new Message(line)]
          }
        },
        close: async () => reader.close(),
      }
    },
  }
}

/** The whole stream as one message (an empty stream gives one empty message). */
const toTheEnd: ScannerCreator = {
  create(reader) {
    let done = false
    const parts: Uint8Array[] = []
    return {
      async next(signal) {
        if (done) return undefined
        for (;;) {
          const chunk = await reader.read(signal)
          if (chunk === undefined) break
          parts.push(chunk)
        }
        done = true
        return [new Message(new Uint8Array(Buffer.concat(parts)))]
      },
      close: async () => reader.close(),
    }
  },
}

function chunker(size: number): ScannerCreator {
  return {
    create(reader) {
      let rest: Buffer = Buffer.alloc(0)
      let ended = false
      return {
        async next(signal) {
          while (rest.length < size && !ended) {
            const chunk = await reader.read(signal)
            if (chunk === undefined) ended = true
            else rest = Buffer.concat([rest, chunk])
          }
          if (rest.length === 0) return undefined
          const piece = rest.subarray(0, size)
          rest = rest.subarray(piece.length)
          return [new Message(copyOf(piece))]
        },
        close: async () => reader.close(),
      }
    },
  }
}

/**
 * Bento's scanner ack aggregation: the source is acknowledged once, with the first error any of
 * its messages was nacked with, or without error once it was read to the end and every message
 * read from it was acknowledged. Closed before its end, it is nacked.
 */
export class SourceAcks {
  readonly #ack: (error?: Error) => Promise<void>
  #pending = 0
  #finished = false
  #fired = false

  constructor(ack: (error?: Error) => Promise<void>) {
    this.#ack = ack
  }

  #fire(error?: Error): Promise<void> {
    if (this.#fired) return Promise.resolve()
    this.#fired = true
    return this.#ack(error)
  }

  /** An ack for one batch read from the source. */
  track(): (error?: Error) => Promise<void> {
    this.#pending++
    let done = false
    return (error) => {
      if (done) return Promise.resolve()
      done = true
      this.#pending--
      if (error !== undefined) return this.#fire(error)
      if (this.#pending === 0 && this.#finished) return this.#fire()
      return Promise.resolve()
    }
  }

  /** The source failed while being read. */
  fail(error: Error): Promise<void> {
    return this.#fire(error)
  }

  /** The source was read to its end (finished) or is being closed early. */
  close(finished: boolean): Promise<void> {
    if (finished) this.#finished = true
    if (!this.#finished) return this.#fire(new Error('service shutting down'))
    return this.#pending === 0 ? this.#fire() : Promise.resolve()
  }
}
