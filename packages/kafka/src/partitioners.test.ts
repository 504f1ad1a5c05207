import { createRequire } from 'node:module'
import { describe, expect, test } from 'vitest'
import { fnv1a32, fnv1aPartition, murmur2, murmur2Partition, partitionerFor } from './partitioners.ts'

const bytes = (s: string) => Buffer.from(s)

test('fnv1a32 matches the reference vectors', () => {
  expect(fnv1a32(bytes(''))).toBe(0x811c9dc5)
  expect(fnv1a32(bytes('a'))).toBe(0xe40c292c)
  expect(fnv1a32(bytes('foobar'))).toBe(0xbf9cf968)
})

test("murmur2 matches the Java client's test vectors", () => {
  const cases: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ]
  for (const [key, expected] of cases) expect(murmur2(bytes(key)) | 0, key).toBe(expected)
})

test("murmur2 agrees with kafkajs' Java-compatible implementation on many keys", () => {
  const require = createRequire(import.meta.url)
  const reference = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (k: Buffer) => number
  for (let i = 0; i < 500; i++) {
    const key = bytes(`key-${i}-${'x'.repeat(i % 7)}`)
    expect(murmur2(key) | 0).toBe(reference(key))
  }
})

describe('partition choice', () => {
  test('fnv1a takes the absolute value of the signed remainder, as sarama does', () => {
    // fnv1a32("foobar") = 0xbf9cf968, negative as int32
    const signed = 0xbf9cf968 | 0
    expect(fnv1aPartition(bytes('foobar'), 7)).toBe(Math.abs(signed % 7))
  })

  test('murmur2 clears the sign bit first, as the Java client does', () => {
    expect(murmur2Partition(bytes('foobar'), 10)).toBe((-790332482 & 0x7fffffff) % 10)
  })

  const metadata = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      partitionId: i,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [],
      isr: [],
    }))

  test('the kafkajs partitioner honours explicit partitions, hashes keys, spreads keyless messages', () => {
    const pick = partitionerFor('murmur2_hash', () => 0.5)()
    const partitionMetadata = metadata(6)
    expect(pick({ topic: 't', partitionMetadata, message: { value: 'v', partition: 4 } })).toBe(4)
    expect(pick({ topic: 't', partitionMetadata, message: { value: 'v', key: bytes('foobar') } })).toBe(
      murmur2Partition(bytes('foobar'), 6),
    )
    expect(pick({ topic: 't', partitionMetadata, message: { value: 'v', key: null } })).toBe(3)
    expect(() => pick({ topic: 't', partitionMetadata, message: { value: 'v', partition: 6 } })).toThrow(
      /partition 6 does not exist in topic t \(6 partitions\)/,
    )
    const rr = partitionerFor('round_robin', () => 0)()
    const seen = Array.from({ length: 6 }, () =>
      rr({ topic: 't', partitionMetadata, message: { value: 'v' } }),
    )
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5])
  })
})
