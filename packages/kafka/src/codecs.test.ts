import { randomBytes } from 'node:crypto'
import * as lz4 from 'lz4js'
import { expect, test } from 'vitest'
import { compressionTypes, lz4Frame, registerCodecs, snappyFrame, snappyUnframe } from './codecs.ts'
import kafkajs from './kafkajs.ts'

const sample = Buffer.concat([Buffer.from('hello kafka '.repeat(5000)), randomBytes(70_000)])

test('snappy frames the way the Java client does and reads raw snappy too', async () => {
  const framed = snappyFrame(sample)
  expect(framed.subarray(0, 8)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0]))
  expect(snappyUnframe(framed)).toEqual(sample)
  const snappy = await import('snappyjs')
  expect(snappyUnframe(snappy.compress(Buffer.from('raw block')))).toEqual(Buffer.from('raw block'))
})

test('every registered codec round trips through the kafkajs table', async () => {
  registerCodecs()
  const table = kafkajs.CompressionCodecs as unknown as Record<
    number,
    () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
  >
  for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const codec = table[compressionTypes[name]]!()
    const packed = await codec.compress({ buffer: sample })
    expect(packed.length, name).toBeLessThan(sample.length)
    expect(Buffer.compare(await codec.decompress(packed), sample), name).toBe(0)
  }
})

test('lz4 frames have independent 64 KiB blocks (what Kafka accepts) and decode with a stock reader', () => {
  const frame = lz4Frame(sample)
  expect(frame.readUInt32LE(0)).toBe(0x184d2204)
  expect(frame[4]).toBe(0x60)
  expect(frame[5]).toBe(0x40)
  expect(Buffer.from(lz4.decompress(frame))).toEqual(sample)
  expect(Buffer.from(lz4.decompress(lz4Frame(Buffer.alloc(0))))).toEqual(Buffer.alloc(0))
})
