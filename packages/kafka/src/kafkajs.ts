// kafkajs, with a few of its producer internals swapped for equivalents that cost less per
// message: the CRC-32C of every record batch (byte at a time in kafkajs, eight at a time here),
// the grouping of a send's messages by partition (quadratic in kafkajs, linear here), and the
// encoding of records and record batches (kafkajs grows zero-filled buffers by doubling and copies
// each batch several times; here every buffer is sized once). Each gives byte for byte what
// kafkajs' own gives (unit-tested against them); the kafkajs version is pinned. They only take
// effect when this module loads before kafkajs loaded those modules, else kafkajs keeps its own.
import { createRequire, Module } from 'node:module'

const require = createRequire(import.meta.url)

const castagnoli = 0x82f63b78
const tables = new Int32Array(8 * 256)
for (let n = 0; n < 256; n++) {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ castagnoli : c >>> 1
  tables[n] = c
}
for (let n = 0; n < 256; n++) {
  let c = tables[n]!
  for (let k = 1; k < 8; k++) {
    c = tables[c & 0xff]! ^ (c >>> 8)
    tables[k * 256 + n] = c
  }
}

/** CRC-32C (Castagnoli), slicing by 8. */
export function crc32c(data: Uint8Array): number {
  const t = tables
  let crc = ~0
  let i = 0
  const n = data.length
  for (const end = n - 7; i < end; i += 8) {
    const lo = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))
    const hi = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)
    crc =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + (hi & 0xff)]! ^
      t[512 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^
      t[hi >>> 24]!
  }
  for (; i < n; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ ~0) >>> 0
}

interface GroupArgs<M> {
  topic: string
  partitionMetadata: unknown[]
  messages: M[]
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: M }) => number
}

/** Messages by the partition the partitioner picks, in their order. */
export function groupMessagesPerPartition<M>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupArgs<M>): Record<number, M[]> {
  const out: Record<number, M[]> = {}
  if (partitionMetadata.length === 0) return out
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message })
    const list = out[partition]
    if (list === undefined) out[partition] = [message]
    else list.push(message)
  }
  return out
}

// kafkajs' own building blocks, as its modules use them.
interface KafkaEncoder {
  buf: Buffer
  offset: number
  readonly buffer: Buffer
  writeVarInt(v: number): KafkaEncoder
  writeVarLong(v: unknown): KafkaEncoder
  writeInt8(v: number): KafkaEncoder
  writeVarIntBytes(v: unknown): KafkaEncoder
  writeVarIntString(v: string): KafkaEncoder
}
interface EncoderClass {
  new (initialSize?: number): KafkaEncoder
  sizeOfVarInt(v: number): number
  sizeOfVarLong(v: unknown): number
  sizeOfVarIntBytes(v: unknown): number
}
interface LongValue {
  getHighBits(): number
  getLowBits(): number
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass
const Long = require('kafkajs/src/utils/long.js') as {
  fromValue(v: unknown): LongValue
  fromInt(v: number): LongValue
}
const compression = require('kafkajs/src/protocol/message/compression/index.js') as {
  Types: { None: number }
  COMPRESSION_CODEC_MASK: number
  lookupCodec(type: number): { compress(encoder: KafkaEncoder): Promise<Buffer> }
}

/** An encoder holding exactly `buffer` (kafkajs reads `.buffer` or `.buf`/`.offset`). */
function encoderOf(buffer: Buffer): KafkaEncoder {
  const encoder = new Encoder(0)
  encoder.buf = buffer
  encoder.offset = buffer.length
  return encoder
}

type HeaderValue = Buffer | string | null
interface RecordArgs {
  offsetDelta?: number
  timestampDelta?: unknown
  key?: Buffer | string | null
  value?: Buffer | string | null
  headers?: Record<string, HeaderValue | HeaderValue[] | undefined>
}

const zigzag = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0

const sizeOfUVarInt = (u: number): number =>
  u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5

const isSmall = (n: unknown): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31

/** Writes `u` (unsigned 32-bit) as LEB128 at `at`; returns the next position. */
function putUVarInt(buf: Buffer, at: number, u: number): number {
  while (u >= 0x80) {
    buf[at++] = (u & 0x7f) | 0x80
    u >>>= 7
  }
  buf[at++] = u
  return at
}

/** Writes bytes or text prefixed by its zigzag varint length (-1 for null); returns the next position. */
function putBytes(buf: Buffer, at: number, value: Buffer | string | null | undefined, size: number): number {
  if (value === null || value === undefined) return putUVarInt(buf, at, zigzag(-1))
  at = putUVarInt(buf, at, zigzag(size))
  if (typeof value === 'string') buf.write(value, at, size, 'utf8')
  else value.copy(buf, at)
  return at + size
}

const byteSize = (value: Buffer | string | null | undefined): number =>
  value === null || value === undefined
    ? 0
    : typeof value === 'string'
      ? Buffer.byteLength(value)
      : value.length

const sizeOfBytes = (value: Buffer | string | null | undefined, size: number): number =>
  value === null || value === undefined ? 1 : sizeOfUVarInt(zigzag(size)) + size

/** One record (v0), written into a buffer of its exact size. */
export function encodeRecord({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordArgs) {
  // Delegated to kafkajs' encoder for what the fast path does not cover (huge deltas, Longs).
  if (!isSmall(timestampDelta) || !isSmall(offsetDelta))
    return encodeRecordSlowly({ offsetDelta, timestampDelta, key, value, headers })
  const names: string[] = []
  const values: HeaderValue[] = []
  for (const name of Object.keys(headers)) {
    const v = headers[name]
    if (Array.isArray(v)) {
      for (const item of v) {
        names.push(name)
        values.push(item)
      }
    } else {
      names.push(name)
      values.push(v as HeaderValue)
    }
  }
  const nameSizes = names.map((n) => Buffer.byteLength(n))
  const valueSizes = values.map(byteSize)
  let headersSize = sizeOfUVarInt(zigzag(names.length))
  for (let i = 0; i < names.length; i++) {
    headersSize +=
      sizeOfUVarInt(zigzag(nameSizes[i]!)) + nameSizes[i]! + sizeOfBytes(values[i], valueSizes[i]!)
  }
  const keySize = byteSize(key)
  const valueSize = byteSize(value)
  const body =
    1 +
    sizeOfUVarInt(zigzag(timestampDelta)) +
    sizeOfUVarInt(zigzag(offsetDelta)) +
    sizeOfBytes(key, keySize) +
    sizeOfBytes(value, valueSize) +
    headersSize
  const buf = Buffer.allocUnsafe(sizeOfUVarInt(zigzag(body)) + body)
  let at = putUVarInt(buf, 0, zigzag(body))
  buf[at++] = 0
  at = putUVarInt(buf, at, zigzag(timestampDelta))
  at = putUVarInt(buf, at, zigzag(offsetDelta))
  at = putBytes(buf, at, key, keySize)
  at = putBytes(buf, at, value, valueSize)
  at = putUVarInt(buf, at, zigzag(names.length))
  for (let i = 0; i < names.length; i++) {
    at = putBytes(buf, at, names[i]!, nameSizes[i]!)
    at = putBytes(buf, at, values[i], valueSizes[i]!)
  }
  return encoderOf(buf)
}

function encodeRecordSlowly({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordArgs) {
  const encoder = new Encoder()
  const names = Object.keys(headers).flatMap((name) => {
    const v = headers[name]
    return Array.isArray(v) ? v.map((item) => [name, item] as const) : [[name, v as HeaderValue] as const]
  })
  let headersSize = Encoder.sizeOfVarInt(names.length)
  for (const [name, v] of names) {
    headersSize += Encoder.sizeOfVarInt(Buffer.byteLength(name)) + Buffer.byteLength(name)
    headersSize += v === null ? Encoder.sizeOfVarInt(-1) : Encoder.sizeOfVarInt(byteSize(v)) + byteSize(v)
  }
  const body =
    1 +
    Encoder.sizeOfVarLong(timestampDelta) +
    Encoder.sizeOfVarInt(offsetDelta) +
    Encoder.sizeOfVarIntBytes(key) +
    Encoder.sizeOfVarIntBytes(value) +
    headersSize
  encoder
    .writeVarInt(body)
    .writeInt8(0)
    .writeVarLong(timestampDelta)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(key)
    .writeVarIntBytes(value)
    .writeVarInt(names.length)
  for (const [name, v] of names) encoder.writeVarIntString(name).writeVarIntBytes(v)
  return encoder
}

const magicByte = 2
const transactionalMask = 16

interface RecordBatchArgs {
  compression?: number
  firstOffset?: unknown
  firstTimestamp?: unknown
  maxTimestamp?: unknown
  partitionLeaderEpoch?: number
  lastOffsetDelta?: number
  transactional?: boolean
  producerId?: unknown
  producerEpoch?: number
  firstSequence?: number
  records?: KafkaEncoder[]
}

/** A record batch (v2 format) as kafkajs' RecordBatch builds it, in one buffer. */
export async function encodeRecordBatch({
  compression: codec = compression.Types.None,
  firstOffset = Long.fromInt(0),
  firstTimestamp = Date.now(),
  maxTimestamp = Date.now(),
  partitionLeaderEpoch = 0,
  lastOffsetDelta = 0,
  transactional = false,
  producerId = Long.fromValue(-1),
  producerEpoch = 0,
  firstSequence = 0,
  records = [],
}: RecordBatchArgs): Promise<KafkaEncoder> {
  const attributes = (codec & compression.COMPRESSION_CODEC_MASK) | (transactional ? transactionalMask : 0)
  let payload: Buffer[]
  if (codec === compression.Types.None) {
    payload = records.map((r) => r.buffer)
  } else {
    const all = Buffer.concat(records.map((r) => r.buffer))
    payload = [await compression.lookupCodec(codec).compress(encoderOf(all))]
  }
  let payloadSize = 0
  for (const part of payload) payloadSize += part.length
  const bodySize = 36 + 4 + payloadSize
  const batchSize = 4 + 1 + 4 + bodySize
  const out = Buffer.allocUnsafe(8 + 4 + batchSize)
  const writeLong = (value: unknown, at: number) => {
    const long = Long.fromValue(value)
    out.writeInt32BE(long.getHighBits(), at)
    out.writeInt32BE(long.getLowBits(), at + 4)
  }
  writeLong(firstOffset, 0)
  out.writeInt32BE(batchSize, 8)
  out.writeInt32BE(partitionLeaderEpoch, 12)
  out.writeInt8(magicByte, 16)
  const body = 21
  out.writeInt16BE(attributes, body)
  out.writeInt32BE(lastOffsetDelta, body + 2)
  writeLong(firstTimestamp, body + 6)
  writeLong(maxTimestamp, body + 14)
  writeLong(producerId, body + 22)
  out.writeInt16BE(producerEpoch, body + 30)
  out.writeInt32BE(firstSequence, body + 32)
  out.writeInt32BE(records.length, body + 36)
  let at = body + 40
  for (const part of payload) {
    part.copy(out, at)
    at += part.length
  }
  out.writeUInt32BE(crc32c(out.subarray(body)), 17)
  return encoderOf(out)
}

function substitute(specifier: string, exports: unknown): void {
  let path: string
  try {
    path = require.resolve(specifier)
  } catch {
    return
  }
  if (require.cache[path] !== undefined) return
  const module = new Module(path)
  module.filename = path
  module.loaded = true
  module.exports = exports
  require.cache[path] = module
}

substitute('kafkajs/src/protocol/recordBatch/crc32C/index.js', crc32c)
substitute('kafkajs/src/producer/groupMessagesPerPartition.js', groupMessagesPerPartition)
substitute('kafkajs/src/protocol/recordBatch/record/v0/index.js', encodeRecord)
substitute('kafkajs/src/protocol/recordBatch/v0/index.js', {
  RecordBatch: encodeRecordBatch,
  MAGIC_BYTE: magicByte,
})

const kafkajs = require('kafkajs') as typeof import('kafkajs')
export default kafkajs
