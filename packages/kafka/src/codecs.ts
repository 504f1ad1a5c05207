// Compression codecs for kafkajs, which only ships gzip. Registered once into kafkajs' codec table
// so the output can compress with every codec Bento offers and the input can read topics written
// with any of them. zstd comes from node:zlib; snappy and lz4 are pure JavaScript.
import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import { zstdCompress, zstdDecompress } from 'node:zlib'
import * as lz4 from 'lz4js'
import * as snappy from 'snappyjs'
import kafkajs from './kafkajs.ts'

const { CompressionCodecs, CompressionTypes } = kafkajs

const zstdPack = promisify(zstdCompress)
const zstdUnpack = promisify(zstdDecompress)

// The Java client frames snappy the way xerial's SnappyOutputStream does: a magic header, two
// version words, then length-prefixed snappy blocks. Readers also meet raw snappy from other clients.
const xerialMagic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const xerialHeaderLength = 16
const xerialBlock = 32 * 1024

export function snappyFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [xerialMagic, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]
  for (let at = 0; at < data.length; at += xerialBlock) {
    const block = snappy.compress(data.subarray(at, at + xerialBlock))
    const length = Buffer.alloc(4)
    length.writeUInt32BE(block.length)
    parts.push(length, block)
  }
  return Buffer.concat(parts)
}

export function snappyUnframe(data: Buffer): Buffer {
  if (data.length < xerialHeaderLength || !data.subarray(0, 8).equals(xerialMagic)) {
    return snappy.uncompress(data)
  }
  const parts: Buffer[] = []
  let at = xerialHeaderLength
  while (at + 4 <= data.length) {
    const length = data.readUInt32BE(at)
    at += 4
    if (at + length > data.length) throw new Error('snappy: truncated xerial block')
    parts.push(snappy.uncompress(data.subarray(at, at + length)))
    at += length
  }
  return Buffer.concat(parts)
}

// Kafka reads LZ4 frames whose blocks are independent (lz4js' own frames are not): frames are
// written here block by block, each with a fresh match table, 64 KiB blocks as the Java client.
const lz4Magic = 0x184d2204
const lz4Block = 64 * 1024
// a literal require: the plugin's bundler includes it (see apps/plugin/scripts/build-exe.ts)
const require = createRequire(import.meta.url)
const xxh32 = require('lz4js/xxh32.js') as {
  hash(seed: number, src: Uint8Array, index: number, length: number): number
}
const matchTable = new Uint32Array(1 << 16)

export function lz4Frame(data: Uint8Array): Buffer {
  const out = Buffer.alloc(7 + lz4.compressBound(data.length) + 4 * Math.ceil(data.length / lz4Block) + 4)
  out.writeUInt32LE(lz4Magic, 0)
  out[4] = 0x60 // version 01, blocks independent
  out[5] = 0x40 // 64 KiB blocks
  out[6] = (xxh32.hash(0, out, 4, 2) >>> 8) & 0xff
  let at = 7
  const scratch = new Uint8Array(lz4.compressBound(lz4Block))
  for (let from = 0; from < data.length; from += lz4Block) {
    const length = Math.min(lz4Block, data.length - from)
    matchTable.fill(0)
    const packed = lz4.compressBlock(data, scratch, from, length, matchTable)
    if (packed === 0 || packed >= length) {
      out.writeUInt32LE((0x80000000 | length) >>> 0, at)
      out.set(data.subarray(from, from + length), at + 4)
      at += 4 + length
    } else {
      out.writeUInt32LE(packed, at)
      out.set(scratch.subarray(0, packed), at + 4)
      at += 4 + packed
    }
  }
  out.writeUInt32LE(0, at)
  return out.subarray(0, at + 4)
}

interface Encoded {
  buffer: Buffer
}

const codecs = {
  [CompressionTypes.Snappy]: {
    compress: async (encoder: Encoded) => snappyFrame(encoder.buffer),
    decompress: async (buffer: Buffer) => snappyUnframe(buffer),
  },
  [CompressionTypes.LZ4]: {
    compress: async (encoder: Encoded) => lz4Frame(encoder.buffer),
    decompress: async (buffer: Buffer) => Buffer.from(lz4.decompress(buffer)),
  },
  [CompressionTypes.ZSTD]: {
    compress: (encoder: Encoded) => zstdPack(encoder.buffer),
    decompress: (buffer: Buffer) => zstdUnpack(buffer),
  },
}

let registered = false

/** Adds snappy, lz4 and zstd to kafkajs (it has gzip): idempotent, process-wide. */
export function registerCodecs(): void {
  if (registered) return
  registered = true
  const table = CompressionCodecs as unknown as Record<number, () => unknown>
  for (const [type, codec] of Object.entries(codecs)) table[Number(type)] = () => codec
}

export const compressionTypes = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const
