// Scanners split a byte stream (stdin, a file, an S3 object) into messages, like Bento's `scanner`
// field. The implemented ones are `lines`, `to_the_end`, `chunker`, `csv` and `json_documents`; the
// deprecated `codec` field is read too (see fromCodec).

import type { Readable } from 'node:stream'
import { parseJSON, type Value } from '@bento-ts/bloblang'
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

const csvFields = [
  field.string('custom_delimiter', {
    optional: true,
    description: 'Use a provided custom delimiter instead of the default comma.',
  }),
  field.bool('parse_header_row', {
    default: true,
    description:
      'Whether to reference the first row as a header row. If set to true the output structure for messages will be an object where field keys are determined by the header row. Otherwise, each message will consist of an array of values from the corresponding CSV row.',
  }),
  field.bool('lazy_quotes', {
    default: false,
    description:
      'If set to `true`, a quote may appear in an unquoted field and a non-doubled quote may appear in a quoted field.',
  }),
  field.bool('continue_on_error', {
    default: false,
    description:
      'If a row fails to parse due to any error emit an empty message marked with the error and then continue consuming subsequent rows when possible.',
  }),
  field.array('expected_headers', 'string', {
    optional: true,
    description:
      "An optional list of expected headers in the header row. If provided, the scanner will check the file contents and emit an error if any expected headers don't match.",
  }),
  field.int('expected_number_of_fields', {
    optional: true,
    description: 'The number of expected fields in the csv file.',
  }),
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
  field.object('csv', csvFields, {
    optional: true,
    description:
      'Consume comma-separated values row by row, including support for custom delimiters. Each row becomes a structured message (an object keyed by the header row, or an array of strings) with the metadata `csv_row`, the index of the row beginning at 0.',
  }),
  field.object('json_documents', [], {
    optional: true,
    description: 'Consumes a stream of one or more JSON documents, each becoming a message.',
  }),
]

/** Bento's `scanner` field with its default (`{ lines: {} }` for stdin and file). */
export const scannerField = (
  defaultScanner: string,
): FieldSpec<'scanner', Record<string, unknown>, 'always'> =>
  field.object('scanner', scannerTypes, {
    default: { [defaultScanner]: {} },
    description:
      'The scanner by which the stream of bytes consumed will be broken out into individual messages. Implemented: lines, to_the_end, chunker, csv, json_documents.',
  })

/** The deprecated `codec` and `max_buffer` fields kept for old configs, then `scanner`. */
export const codecFields = (defaultScanner: string) =>
  [
    field.string('codec', { optional: true, deprecated: true, advanced: true }),
    field.int('max_buffer', { default: 1000000, deprecated: true, advanced: true }),
    scannerField(defaultScanner),
  ] as const

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
    case 'csv':
      return csvScanner(conf as CsvConfig)
    case 'json_documents':
      return jsonDocumentsScanner
    default:
      throw new Error(`scanner ${name} is not supported`)
  }
}

/**
 * Bento's deprecated `codec` names: `lines`, `delim:x`, `all-bytes`, `chunker:n`, `csv`, `csv:x`,
 * each optionally with the `/multipart` suffix (messages gathered into a batch until an empty one).
 */
function fromCodec(codec: string, maxBuffer: number): ScannerCreator {
  if (codec.endsWith('/multipart'))
    return multipart(fromCodec(codec.slice(0, -'/multipart'.length), maxBuffer))
  if (codec === 'lines') return linesScanner({ max_buffer_size: maxBuffer })
  if (codec === 'all-bytes') return toTheEnd
  if (codec === 'csv') return csvScanner({})
  if (codec.startsWith('csv:')) return csvScanner({ custom_delimiter: codec.slice('csv:'.length) })
  if (codec.startsWith('chunker:')) {
    const size = Number(codec.slice('chunker:'.length))
    if (!Number.isInteger(size) || size <= 0) throw new Error(`invalid chunker codec size: ${codec}`)
    return chunker(size)
  }
  if (codec.startsWith('delim:')) {
    const delimiter = codec.slice('delim:'.length)
    if (delimiter === '') throw new Error('custom delimiter codec requires a non-empty delimiter')
    return linesScanner({ custom_delimiter: delimiter, max_buffer_size: maxBuffer })
  }
  throw new Error(
    `codec was not recognised: ${codec} (supported: lines, delim:x, all-bytes, chunker:n, csv, csv:x, each optionally with /multipart)`,
  )
}

/** Gathers the messages of a scanner into batches that end at an empty message (which is dropped). */
function multipart(inner: ScannerCreator): ScannerCreator {
  return {
    create(reader) {
      const scanner = inner.create(reader)
      let ended = false
      // messages the inner scanner gave after an empty one, for the next batch
      let held: Message[] = []
      return {
        async next(signal) {
          const batch: Message[] = []
          for (;;) {
            while (held.length > 0) {
              const m = held.shift()!
              if (m.bytes().length > 0) batch.push(m)
              else if (batch.length > 0) return batch
            }
            if (ended) return batch.length > 0 ? batch : undefined
            const part = await scanner.next(signal)
            if (part === undefined) ended = true
            else held = [...part]
          }
        },
        close: () => scanner.close(),
      }
    },
  }
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

/** The text of a byte stream, decoded as UTF-8 as it arrives; what was consumed is dropped. */
class TextBuffer {
  readonly #reader: ByteReader
  readonly #decoder = new TextDecoder()
  text = ''
  /** where the unconsumed text starts */
  at = 0
  ended = false

  constructor(reader: ByteReader) {
    this.#reader = reader
  }

  /** Appends the next chunk (or marks the end); keeps only the text from `at` on. */
  async more(signal?: AbortSignal): Promise<void> {
    const chunk = await this.#reader.read(signal)
    const rest = this.text.slice(this.at)
    this.at = 0
    if (chunk === undefined) {
      this.ended = true
      this.text = rest + this.#decoder.decode()
    } else {
      this.text = rest + this.#decoder.decode(chunk, { stream: true })
    }
  }

  close(): void {
    this.#reader.close()
  }
}

export interface CsvConfig {
  custom_delimiter?: string
  parse_header_row?: boolean
  lazy_quotes?: boolean
  continue_on_error?: boolean
  expected_headers?: string[]
  expected_number_of_fields?: number
}

const errBareQuote = 'bare " in non-quoted-field'
const errQuote = 'extraneous or missing " in quoted-field'
const errFieldCount = 'wrong number of fields'

/** Go's csv.ParseError wording. */
function csvError(startLine: number, line: number, column: number, what: string): Error {
  if (what === errFieldCount) return new Error(`record on line ${line}: ${what}`)
  if (startLine !== line)
    return new Error(`record on line ${startLine}; parse error on line ${line}, column ${column}: ${what}`)
  return new Error(`parse error on line ${line}, column ${column}: ${what}`)
}

interface CsvRecord {
  fields: string[]
  error: Error | undefined
  /** where the next record starts */
  next: number
  /** the line number of the last line read */
  line: number
}

const needMore = Symbol('need more')

/**
 * One record of Go's encoding/csv from `text` at `at`: `needMore` when the text ends before the
 * record does and more may come, undefined at the end of the input. Lines end with \n (\r\n is
 * read as \n), empty lines are skipped, a quoted field may span lines. After a parse error the
 * rest of the line is skipped, as Go's reader does.
 */
function csvRecord(
  text: string,
  at: number,
  ended: boolean,
  lineBefore: number,
  comma: string,
  lazy: boolean,
): CsvRecord | undefined | typeof needMore {
  let cursor = at
  let lineNo = lineBefore
  const readLine = (): string | undefined | typeof needMore => {
    if (cursor >= text.length) return ended ? undefined : needMore
    const nl = text.indexOf('\n', cursor)
    let line: string
    if (nl < 0) {
      if (!ended) return needMore
      line = text.slice(cursor)
      cursor = text.length
      if (line.endsWith('\r')) line = line.slice(0, -1)
    } else {
      line = text.slice(cursor, nl + 1)
      cursor = nl + 1
      if (line.endsWith('\r\n')) line = `${line.slice(0, -2)}\n`
    }
    lineNo++
    return line
  }
  const withoutNL = (line: string): string => (line.endsWith('\n') ? line.slice(0, -1) : line)

  let line: string
  for (;;) {
    const read = readLine()
    if (read === needMore || read === undefined) return read
    if (read === '' || read === '\n') continue
    line = read
    break
  }
  const startLine = lineNo
  const fields: string[] = []
  let col = 1
  let error: Error | undefined
  parse: for (;;) {
    if (!line.startsWith('"')) {
      const i = line.indexOf(comma)
      const field = i >= 0 ? line.slice(0, i) : withoutNL(line)
      if (!lazy) {
        const q = field.indexOf('"')
        if (q >= 0) {
          error = csvError(startLine, lineNo, col + q, errBareQuote)
          break
        }
      }
      fields.push(field)
      if (i < 0) break
      line = line.slice(i + comma.length)
      col += i + comma.length
      continue
    }
    // A quoted field.
    line = line.slice(1)
    col += 1
    let value = ''
    for (;;) {
      const i = line.indexOf('"')
      if (i >= 0) {
        value += line.slice(0, i)
        line = line.slice(i + 1)
        col += i + 1
        if (line.startsWith('"')) {
          value += '"'
          line = line.slice(1)
          col += 1
        } else if (line.startsWith(comma)) {
          line = line.slice(comma.length)
          col += comma.length
          fields.push(value)
          continue parse
        } else if (line === '' || line === '\n') {
          fields.push(value)
          break parse
        } else if (lazy) {
          value += '"'
        } else {
          error = csvError(startLine, lineNo, col - 1, errQuote)
          break parse
        }
      } else if (line.length > 0) {
        // The field goes on on the next line.
        value += line
        col += line.length
        const next = readLine()
        if (next === needMore) return needMore
        line = next ?? ''
        if (line.length > 0) col = 1
      } else {
        if (!lazy) {
          error = csvError(startLine, lineNo, col, errQuote)
          break parse
        }
        fields.push(value)
        break parse
      }
    }
  }
  return { fields, error, next: cursor, line: lineNo }
}

/** An object from header names to values; a repeated header keeps the last value, as a Go map does. */
function csvObject(headers: readonly string[], fields: readonly string[]): Value {
  const out: Record<string, Value> = {}
  for (let i = 0; i < fields.length && i < headers.length; i++) {
    Object.defineProperty(out, headers[i]!, {
      value: fields[i]!,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}

/**
 * How the `csv` input reads rows where the scanner differs: up to `batchCount` rows a batch, the
 * `header` metadata instead of `csv_row`, a row longer than the header as an array, and a row Go's
 * reader complains about (field count, quotes) kept as read unless `expected_number_of_fields`
 * is set.
 */
export interface CsvInputMode {
  batchCount: number
}

/** Bento's `csv` scanner: Go's encoding/csv, one message per row, `csv_row` counting from 0. */
function csvScanner(c: CsvConfig, inputMode?: CsvInputMode): ScannerCreator {
  const comma =
    c.custom_delimiter !== undefined && c.custom_delimiter !== '' ? [...c.custom_delimiter][0]! : ','
  if (comma === '"' || comma === '\r' || comma === '\n' || comma === '\ufffd') {
    throw new Error(`csv scanner: invalid custom_delimiter ${JSON.stringify(c.custom_delimiter)}`)
  }
  const parseHeader = c.parse_header_row ?? true
  const expectedHeaders = c.expected_headers ?? []
  if (!parseHeader && expectedHeaders.length > 0) {
    throw new Error(
      'csv scanner: parse_header_row=false but expected_headers is set; headers won’t be checked. Either set parse_header_row=true or remove expected_headers',
    )
  }
  const expectedFields = c.expected_number_of_fields ?? 0
  if (c.expected_number_of_fields !== undefined && expectedFields < 1) {
    throw new Error('csv scanner: expected_number_of_fields must be at least 1')
  }
  const lazy = c.lazy_quotes ?? false
  const continueOnError = c.continue_on_error ?? false
  return {
    create(reader) {
      const buffer = new TextBuffer(reader)
      let line = 0
      let fieldsPerRecord = expectedFields
      let headers: string[] | undefined
      let row = 0
      let failed = false

      /** The next record with Go's field count check, or undefined at the end. */
      const record = async (
        signal?: AbortSignal,
      ): Promise<{ fields: string[]; error?: Error } | undefined> => {
        for (;;) {
          const got = csvRecord(buffer.text, buffer.at, buffer.ended, line, comma, lazy)
          if (got === needMore) {
            await buffer.more(signal)
            continue
          }
          if (got === undefined) return undefined
          buffer.at = got.next
          const startLine = line + 1
          line = got.line
          if (got.error !== undefined) return { fields: got.fields, error: got.error }
          if (fieldsPerRecord === 0) fieldsPerRecord = got.fields.length
          else if (got.fields.length !== fieldsPerRecord) {
            return { fields: got.fields, error: csvError(startLine, startLine, 1, errFieldCount) }
          }
          return { fields: got.fields }
        }
      }

      const inputRows = async (batchCount: number, signal?: AbortSignal): Promise<Message[] | undefined> => {
        const batch: Message[] = []
        while (batch.length < batchCount) {
          const got = await record(signal)
          if (got === undefined) break
          if (got.error !== undefined && (expectedFields !== 0 || got.fields.length === 0)) {
            if (batch.length > 0) break
            failed = true
            throw got.error
          }
          const asObject = headers !== undefined && headers.length >= got.fields.length
          const message = Message.fromStructured(asObject ? csvObject(headers!, got.fields) : got.fields)
          if (asObject) message.metadata.set('header', [...headers!])
          batch.push(message)
        }
        return batch.length === 0 ? undefined : batch
      }

      return {
        async next(signal) {
          if (failed) return undefined
          if (parseHeader && headers === undefined) {
            const first = await record(signal)
            if (first === undefined) return undefined
            if (first.error !== undefined) {
              failed = true
              throw first.error
            }
            if (
              expectedHeaders.length > 0 &&
              (expectedHeaders.length !== first.fields.length ||
                expectedHeaders.some((h, i) => h !== first.fields[i]))
            ) {
              failed = true
              throw new Error("expected_headers don't match file contents")
            }
            headers = first.fields
          }
          if (inputMode !== undefined) return inputRows(inputMode.batchCount, signal)
          const got = await record(signal)
          if (got === undefined) return undefined
          if (got.error !== undefined && !continueOnError) {
            failed = true
            throw got.error
          }
          const message = Message.fromStructured(
            headers !== undefined ? csvObject(headers, got.fields) : got.fields,
          )
          message.metadata.set('csv_row', row++)
          if (got.error !== undefined) message.error = got.error
          return [message]
        },
        close: async () => buffer.close(),
      }
    },
  }
}

/** The rows of the `csv` input (Go's encoding/csv as Bento's csv input reads it). */
export const csvInputScanner = (c: CsvConfig, mode: CsvInputMode): ScannerCreator => csvScanner(c, mode)

const isJSONSpace = (ch: number): boolean => ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09

/** Where a top-level scalar ends: at whitespace or a structural character. */
const endsScalar = (ch: number): boolean =>
  isJSONSpace(ch) ||
  ch === 0x7b ||
  ch === 0x7d ||
  ch === 0x5b ||
  ch === 0x5d ||
  ch === 0x22 ||
  ch === 0x2c ||
  ch === 0x3a

/**
 * Bento's `json_documents` scanner: a stream of JSON documents one after another (whitespace
 * between them optional where unambiguous), each a message. The end of a document is found as
 * the text arrives, so a large stream is never held whole; numbers are kept exactly as written.
 */
const jsonDocumentsScanner: ScannerCreator = {
  create(reader) {
    const buffer = new TextBuffer(reader)
    let failed = false
    // Scan state of the document being read, kept across chunks.
    let scanned = 0
    let depth = 0
    let inString = false
    let escaped = false

    const fail = (error: Error): never => {
      failed = true
      throw error
    }

    return {
      async next(signal) {
        if (failed) return undefined
        for (;;) {
          const text = buffer.text
          let start = buffer.at
          while (start < text.length && isJSONSpace(text.charCodeAt(start))) start++
          buffer.at = start
          if (start >= text.length) {
            if (buffer.ended) return undefined
            scanned = 0
            await buffer.more(signal)
            continue
          }
          const first = text.charCodeAt(start)
          let end = -1
          let i = Math.max(start + scanned, start)
          if (first === 0x7b || first === 0x5b || first === 0x22) {
            if (scanned === 0) {
              depth = 0
              inString = false
              escaped = false
            }
            for (; i < text.length; i++) {
              const ch = text.charCodeAt(i)
              if (inString) {
                if (escaped) escaped = false
                else if (ch === 0x5c) escaped = true
                else if (ch === 0x22) {
                  inString = false
                  if (depth === 0) {
                    end = i + 1
                    break
                  }
                }
              } else if (ch === 0x22) inString = true
              else if (ch === 0x7b || ch === 0x5b) depth++
              else if (ch === 0x7d || ch === 0x5d) {
                depth--
                if (depth === 0) {
                  end = i + 1
                  break
                }
              }
            }
          } else if (first === 0x7d || first === 0x5d || first === 0x2c || first === 0x3a) {
            fail(new Error(`invalid character '${text[start]}' looking for beginning of value`))
          } else {
            for (; i < text.length; i++) {
              if (endsScalar(text.charCodeAt(i))) {
                end = i
                break
              }
            }
          }
          if (end < 0) {
            if (!buffer.ended) {
              scanned = i - start
              await buffer.more(signal)
              continue
            }
            // A scalar may end with the input; anything else open at the end is cut short.
            if (first === 0x7b || first === 0x5b || first === 0x22) fail(new Error('unexpected EOF'))
            end = text.length
          }
          scanned = 0
          buffer.at = end
          let value: Value
          try {
            value = parseJSON(text.slice(start, end))
          } catch (err) {
            fail(err as Error)
          }
          return [Message.fromStructured(value!)]
        }
      },
      close: async () => buffer.close(),
    }
  },
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
