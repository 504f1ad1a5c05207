// archive (many messages → one) and unarchive (one → many).

import { parseJSON, type Value } from '@bento-ts/bloblang'
import { inflateSync, Zip, ZipDeflate } from 'fflate'
import type { Plugin } from '../../component.ts'
import type { Batch, Message } from '../../message.ts'
import { field } from '../../spec.ts'
import { readTar, writeTar } from './tar.ts'
import { BatchView, errorOf, fail, interpolated } from './util.ts'

const decoder = new TextDecoder()

function concat(chunks: readonly Uint8Array[], extra = 0): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0) + extra)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** Bento's binary batch format: u32 count, then u32 length + bytes per message (big endian). */
export function serializeBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(4 * (parts.length + 1) + parts.reduce((n, p) => n + p.length, 0))
  const view = new DataView(out.buffer)
  view.setUint32(0, parts.length)
  let at = 4
  for (const p of parts) {
    view.setUint32(at, p.length)
    out.set(p, at + 4)
    at += 4 + p.length
  }
  return out
}

export function deserializeBytes(b: Uint8Array): Uint8Array[] {
  const bad = () => new Error('malformed message part')
  if (b.length < 4) throw bad()
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const count = view.getUint32(0)
  if (count >= b.length) throw bad()
  const parts: Uint8Array[] = []
  let at = 4
  for (let i = 0; i < count; i++) {
    if (b.length - at < 4) throw bad()
    const size = view.getUint32(at)
    at += 4
    if (b.length - at < size) throw bad()
    parts.push(b.subarray(at, at + size))
    at += size
  }
  return parts
}

function zipArchive(files: { name: string; data: Uint8Array }[]): Uint8Array {
  const chunks: Uint8Array[] = []
  let failure: Error | undefined
  const zip = new Zip((err, data) => {
    if (err) failure = err
    else chunks.push(data)
  })
  const now = new Date()
  for (const f of files) {
    const entry = new ZipDeflate(f.name)
    entry.mtime = now
    zip.add(entry)
    entry.push(f.data, true)
  }
  zip.end()
  if (failure !== undefined) throw failure
  return concat(chunks)
}

/** Reads a zip through its central directory, in order, keeping entries with the same name. */
function zipEntries(b: Uint8Array): { name: string; data: Uint8Array }[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let eocd = -1
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('zip: not a valid zip file')
  const count = view.getUint16(eocd + 10, true)
  let at = view.getUint32(eocd + 16, true)
  const out: { name: string; data: Uint8Array }[] = []
  for (let i = 0; i < count; i++) {
    if (at + 46 > b.length || view.getUint32(at, true) !== 0x02014b50)
      throw new Error('zip: not a valid zip file')
    const method = view.getUint16(at + 10, true)
    const compressed = view.getUint32(at + 20, true)
    const nameLen = view.getUint16(at + 28, true)
    const extraLen = view.getUint16(at + 30, true)
    const commentLen = view.getUint16(at + 32, true)
    const local = view.getUint32(at + 42, true)
    const name = decoder.decode(b.subarray(at + 46, at + 46 + nameLen))
    at += 46 + nameLen + extraLen + commentLen
    if (local + 30 > b.length || view.getUint32(local, true) !== 0x04034b50)
      throw new Error('zip: not a valid zip file')
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true)
    const raw = b.subarray(start, start + compressed)
    if (method === 0) out.push({ name, data: raw.slice() })
    else if (method === 8) out.push({ name, data: inflateSync(raw) })
    else throw new Error('zip: unsupported compression algorithm')
  }
  return out
}

type Archiver = (batch: Batch, names: (i: number) => string) => Message

const first = (batch: Batch, content: Uint8Array): Message => {
  const m = batch[0]!
  m.setBytes(content)
  return m
}

const archivers: Record<string, Archiver> = {
  tar: (batch, names) =>
    first(
      batch,
      writeTar(
        batch.map((m, i) => ({ name: names(i), data: m.bytes() })),
        Date.now(),
      ),
    ),
  zip: (batch, names) => first(batch, zipArchive(batch.map((m, i) => ({ name: names(i), data: m.bytes() })))),
  binary: (batch) => first(batch, serializeBytes(batch.map((m) => m.bytes()))),
  lines: (batch) => {
    const parts = batch.flatMap((m, i) => (i === 0 ? [m.bytes()] : [newline, m.bytes()]))
    return first(batch, concat(parts))
  },
  concatenate: (batch) => first(batch, concat(batch.map((m) => m.bytes()))),
  json_array: (batch) => {
    const values: Value[] = []
    for (const m of batch) {
      try {
        values.push(parseJSON(m.text()))
      } catch (err) {
        throw new Error(`failed to parse message as JSON: ${errorOf(err).message}`)
      }
    }
    const m = batch[0]!
    m.setStructured(values)
    return m
  },
}

const newline = new Uint8Array([0x0a])

export const archiveProcessor: Plugin<'processor'> = {
  spec: {
    name: 'archive',
    kind: 'processor',
    status: 'stable',
    categories: ['Parsing', 'Utility'],
    summary:
      'Archives all the messages of a batch into a single message according to the selected archive format.',
    description:
      'File based formats (tar, zip) name each message with the interpolated `path`. The archived message adopts the metadata of the first message of the batch.',
    fields: [
      field.string('format', {
        options: ['binary', 'concatenate', 'json_array', 'lines', 'tar', 'zip'],
        description: 'The archiving format to apply.',
      }),
      field.interpolated('path', {
        default: '',
        description: 'The path to set for each message in the archive (when applicable).',
        examples: [
          '${!count("files")}-${!timestamp_unix_nano()}.txt',
          '${!meta("kafka_key")}-${!json("id")}.json',
        ],
      }),
    ],
  },
  create(config: { format: string; path: string }, context) {
    const archiver = archivers[config.format]
    if (archiver === undefined) throw new Error(`archive format not recognised: ${config.format}`)
    const path = interpolated(config.path, 'path')
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        if (batch.length === 0) return []
        const view = new BatchView(batch)
        const names = (i: number): string => {
          try {
            return path.text(view, i)
          } catch (err) {
            logger.error(`Name interpolation error: ${errorOf(err).message}`)
            return ''
          }
        }
        try {
          return [[archiver(batch, names)]]
        } catch (err) {
          logger.error(`Failed to create archive: ${errorOf(err).message}`)
          for (const m of batch) fail(m, err)
          return [batch]
        }
      },
    }
  },
}

// ---------------------------------------------------------------------------------------------
// unarchive

type Unarchiver = (message: Message) => Message[]

const withBytes = (from: Message, content: Uint8Array): Message => {
  const m = from.copy()
  m.setBytes(content)
  return m
}
const withValue = (from: Message, value: Value): Message => {
  const m = from.copy()
  m.setStructured(value)
  return m
}

/** The end offset of the JSON value that starts at `at` (after whitespace). */
function jsonValueEnd(text: string, at: number): number {
  const c = text[at]
  if (c === '{' || c === '[') {
    let depth = 0
    for (let i = at; i < text.length; i++) {
      const ch = text[i]
      if (ch === '"') {
        i++
        while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
      } else if (ch === '{' || ch === '[') depth++
      else if (ch === '}' || ch === ']') {
        depth--
        if (depth === 0) return i + 1
      }
    }
    return text.length
  }
  if (c === '"') {
    let i = at + 1
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    return i + 1
  }
  let i = at
  while (i < text.length && !/[\s{}[\]",]/.test(text[i]!)) i++
  return Math.max(i, at + 1)
}

/** Go's json.Decoder over concatenated documents. */
export function jsonDocuments(text: string): Value[] {
  const out: Value[] = []
  let at = 0
  for (;;) {
    while (at < text.length && /\s/.test(text[at]!)) at++
    if (at >= text.length) return out
    const end = jsonValueEnd(text, at)
    out.push(parseJSON(text.slice(at, end)))
    at = end
  }
}

/** Go's encoding/csv with a header row: each record becomes an object of strings. */
export function csvRecords(text: string, comma: string): Record<string, string>[] {
  const records: { fields: string[]; line: number }[] = []
  let i = 0
  let line = 1
  while (i < text.length) {
    const startLine = line
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1
      line++
      continue
    }
    const fields: string[] = []
    for (;;) {
      let value = ''
      if (text[i] === '"') {
        i++
        for (;;) {
          if (i >= text.length)
            throw new Error(
              `record on line ${startLine}; parse error on line ${line}: extraneous or missing " in quoted-field`,
            )
          const ch = text[i]!
          if (ch === '"') {
            if (text[i + 1] === '"') {
              value += '"'
              i += 2
              continue
            }
            i++
            break
          }
          if (ch === '\n') line++
          value += ch
          i++
        }
        if (
          i < text.length &&
          text[i] !== comma &&
          text[i] !== '\n' &&
          !(text[i] === '\r' && text[i + 1] === '\n')
        ) {
          throw new Error(
            `record on line ${startLine}; parse error on line ${line}: extraneous or missing " in quoted-field`,
          )
        }
      } else {
        while (
          i < text.length &&
          text[i] !== comma &&
          text[i] !== '\n' &&
          !(text[i] === '\r' && text[i + 1] === '\n')
        ) {
          if (text[i] === '"')
            throw new Error(
              `record on line ${startLine}; parse error on line ${line}: bare " in non-quoted-field`,
            )
          value += text[i]
          i++
        }
      }
      fields.push(value)
      if (i < text.length && text[i] === comma) {
        i++
        continue
      }
      if (text[i] === '\r') i++
      if (text[i] === '\n') {
        i++
        line++
      }
      break
    }
    records.push({ fields, line: startLine })
  }
  const header = records[0]?.fields
  if (header === undefined) return []
  return records.slice(1).map((r) => {
    if (r.fields.length !== header.length) throw new Error(`record on line ${r.line}: wrong number of fields`)
    const obj: Record<string, string> = {}
    header.forEach((h, k) => {
      obj[h] = r.fields[k]!
    })
    return obj
  })
}

function csvUnarchiver(comma: string): Unarchiver {
  return (m) => {
    try {
      return csvRecords(m.text(), comma).map((r) => withValue(m, r))
    } catch (err) {
      throw new Error(`failed to parse message as csv: ${errorOf(err).message}`)
    }
  }
}

const unarchivers: Record<string, Unarchiver> = {
  tar: (m) =>
    readTar(m.bytes()).map((f) => {
      const out = withBytes(m, f.data)
      out.metadata.set('archive_filename', f.name)
      return out
    }),
  zip: (m) =>
    zipEntries(m.bytes()).map((f) => {
      const out = withBytes(m, f.data)
      out.metadata.set('archive_filename', f.name)
      return out
    }),
  binary: (m) => deserializeBytes(m.bytes()).map((p) => withBytes(m, p)),
  lines: (m) => {
    const b = m.bytes()
    const out: Message[] = []
    let start = 0
    for (let i = 0; i <= b.length; i++) {
      if (i === b.length || b[i] === 0x0a) {
        out.push(withBytes(m, b.slice(start, i)))
        start = i + 1
      }
    }
    return out
  },
  json_documents: (m) => jsonDocuments(m.text()).map((v) => withValue(m, v)),
  json_array: (m) => {
    let v: Value
    try {
      v = parseJSON(m.text())
    } catch (err) {
      throw new Error(`failed to parse message into JSON array: ${errorOf(err).message}`)
    }
    if (!Array.isArray(v))
      throw new Error(`failed to parse message into JSON array: invalid type '${goType(v)}'`)
    return v.map((e) => withValue(m, e))
  },
  json_map: (m) => {
    let v: Value
    try {
      v = parseJSON(m.text())
    } catch (err) {
      throw new Error(`failed to parse message into JSON map: ${errorOf(err).message}`)
    }
    if (
      typeof v !== 'object' ||
      v === null ||
      Array.isArray(v) ||
      v instanceof Uint8Array ||
      Object.getPrototypeOf(v) !== Object.prototype
    ) {
      throw new Error(`failed to parse message into JSON map: invalid type '${goType(v)}'`)
    }
    return Object.entries(v as Record<string, Value>).map(([k, e]) => {
      const out = withValue(m, e)
      out.metadata.set('archive_key', k)
      return out
    })
  },
  csv: csvUnarchiver(','),
}

function goType(v: Value): string {
  if (Array.isArray(v)) return '[]interface {}'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (v === null) return '<nil>'
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return 'map[string]interface {}'
  return 'json.Number'
}

function unarchiverFor(format: string): Unarchiver {
  const known = unarchivers[format]
  if (known !== undefined) return known
  if (format === 'xml_documents_to_json' || format === 'xml_documents_to_json:cast') {
    throw new Error(`archive format ${format} is not supported by bento-ts yet`)
  }
  if (format.startsWith('csv:')) {
    const by = [...format.slice(4)]
    if (by.length === 0) throw new Error('csv format requires a non-empty delimiter')
    if (by.length !== 1) throw new Error('csv format requires a single character delimiter')
    return csvUnarchiver(by[0]!)
  }
  throw new Error(`archive format not recognised: ${format}`)
}

export const unarchiveProcessor: Plugin<'processor'> = {
  spec: {
    name: 'unarchive',
    kind: 'processor',
    status: 'stable',
    categories: ['Parsing', 'Utility'],
    summary:
      'Unarchives messages according to the selected archive format into multiple messages within a batch.',
    description:
      'The new messages replace the original message in the batch, with its metadata copied. A message that fails to unarchive stays unchanged and is flagged. tar and zip add metadata `archive_filename`; json_map adds `archive_key`. Formats: binary, csv, csv:x (x: a one-character delimiter), json_array, json_documents, json_map, lines, tar, xml_documents_to_json, xml_documents_to_json:cast, zip.',
    fields: [
      // No `options`: `csv:x` stands for any one-character delimiter; the format is checked on creation.
      field.string('format', { description: 'The unarchiving format to apply.' }),
    ],
  },
  create(config: { format: string }, context) {
    const unarchive = unarchiverFor(config.format)
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        const out: Message[] = []
        for (const m of batch) {
          try {
            out.push(...unarchive(m))
          } catch (err) {
            logger.error(`Failed to unarchive message part: ${errorOf(err).message}`)
            fail(m, err)
            out.push(m)
          }
        }
        return out.length === 0 ? [] : [out]
      },
    }
  },
}
