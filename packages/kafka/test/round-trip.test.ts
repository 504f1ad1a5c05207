import type { Message } from '@bento-ts/core'
import { eventually } from '@bento-ts/test-services'
import { afterAll, describe, expect, test } from 'vitest'
import { fnv1aPartition } from '../src/partitioners.ts'
import { brokers, capturedOf, createTopic, produce, readTopic, run, uniqueTopic } from './helpers.ts'

const streams: { stop(ms: number): Promise<void> }[] = []
afterAll(async () => {
  await Promise.allSettled(streams.map((s) => s.stop(5000)))
})

const input = (topics: string[], extra = '') => `
input:
  kafka:
    addresses: [ "${brokers()}" ]
    topics: ${JSON.stringify(topics)}
${extra}`

describe('kafka output → kafka input', () => {
  test('messages, keys, headers and every metadata key make the trip', async () => {
    const topic = uniqueTopic('rt')
    await createTopic(topic, 3)
    const writer = await run(`
input:
  generate:
    count: 20
    interval: ""
    mapping: |
      root = {"n": counter()}
      meta color = if counter() % 2 == 0 { "red" } else { "blue" }
      meta secret_x = "hidden"
output:
  kafka:
    addresses: [ "${brokers()}" ]
    topic: ${topic}
    key: 'k-\${! json("n") }'
    metadata:
      exclude_prefixes: [ "secret_" ]
`)
    await writer.done
    const before = Date.now()
    const reader = await run(`${input([topic], '    consumer_group: g-rt')}
output:
  capture: rt
`)
    streams.push(reader)
    const got = await waitForCount('rt', 20)
    await reader.stop(5000)
    const byN = new Map(got.map((m) => [JSON.parse(m.text()).n as number, m]))
    expect([...byN.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    for (const [n, m] of byN) {
      const key = `k-${n}`
      expect(m.metadata.get('kafka_key')).toBe(key)
      expect(m.metadata.get('kafka_topic')).toBe(topic)
      // fnv1a_hash is the default partitioner: the partition follows from the key as in Bento
      expect(m.metadata.get('kafka_partition')).toBe(fnv1aPartition(Buffer.from(key), 3))
      expect(typeof m.metadata.get('kafka_offset')).toBe('number')
      expect(m.metadata.get('kafka_lag')).toBeGreaterThanOrEqual(0)
      expect(m.metadata.get('kafka_tombstone_message')).toBe(false)
      const ms = m.metadata.get('kafka_timestamp_unix_ms') as number
      expect(Math.abs(ms - before)).toBeLessThan(120_000)
      expect(m.metadata.get('kafka_timestamp_unix')).toBe(Math.floor(ms / 1000))
      expect(m.metadata.get('color')).toBe(n % 2 === 0 ? 'red' : 'blue')
      expect(m.metadata.has('secret_x')).toBe(false)
    }
    // Offsets of one partition are consecutive from 0, and the last one has no lag.
    for (const p of [0, 1, 2]) {
      const offsets = got
        .filter((m) => m.metadata.get('kafka_partition') === p)
        .map((m) => m.metadata.get('kafka_offset') as number)
        .sort((a, b) => a - b)
      expect(offsets).toEqual(offsets.map((_, i) => i))
      const last = got.find(
        (m) => m.metadata.get('kafka_partition') === p && m.metadata.get('kafka_offset') === offsets.at(-1),
      )
      if (last !== undefined) expect(last.metadata.get('kafka_lag')).toBe(0)
    }
  })

  test('tombstones, repeated headers (multi_header) and a later message with the same key', async () => {
    const topic = uniqueTopic('tomb')
    await createTopic(topic, 1)
    await produce(topic, [
      { key: 'a', value: 'first', headers: { h: ['x', 'y'], single: 'one' } },
      { key: 'a', value: null },
    ])
    const single = await run(`${input([topic], '    consumer_group: g-tomb-1')}
output:
  capture: tomb-1
`)
    streams.push(single)
    const multi = await run(`${input([topic], '    consumer_group: g-tomb-2\n    multi_header: true')}
output:
  capture: tomb-2
`)
    streams.push(multi)
    // (max_in_flight > 1 may reorder deliveries, as in Bento: look at them in offset order)
    const byOffset = (list: Message[]) =>
      [...list].sort(
        (a, b) => (a.metadata.get('kafka_offset') as number) - (b.metadata.get('kafka_offset') as number),
      )
    const [first, tomb] = byOffset(await waitForCount('tomb-1', 2))
    expect(first!.text()).toBe('first')
    expect(first!.metadata.get('h')).toBe('y')
    expect(first!.metadata.get('single')).toBe('one')
    expect(tomb!.metadata.get('kafka_tombstone_message')).toBe(true)
    expect(tomb!.bytes().length).toBe(0)
    const [m] = byOffset(await waitForCount('tomb-2', 2))
    expect(m!.metadata.get('h')).toEqual(['x', 'y'])
    expect(m!.metadata.get('single')).toEqual(['one'])
    await Promise.all([single.stop(5000), multi.stop(5000)])
  })

  test('explicit partitions and ranges read only those partitions, without a consumer group', async () => {
    const topic = uniqueTopic('parts')
    await createTopic(topic, 5)
    const messages = []
    for (let p = 0; p < 5; p++)
      for (let i = 0; i < 4; i++) messages.push({ value: `${p}-${i}`, partition: p })
    await produce(topic, messages)
    const reader = await run(`${input([`${topic}:1`, `${topic}:3-4`])}
output:
  capture: parts
`)
    streams.push(reader)
    const got = await waitForCount('parts', 12)
    // nothing from partitions 0 and 2 ever arrives
    await new Promise((r) => setTimeout(r, 1000))
    await reader.stop(5000)
    const partitions = new Set(capturedOf('parts').map((m) => m.metadata.get('kafka_partition')))
    expect([...partitions].sort()).toEqual([1, 3, 4])
    expect(capturedOf('parts')).toHaveLength(12)
    // each partition's messages, with their offsets
    for (const p of [1, 3, 4]) {
      const mine = got
        .filter((m) => m.metadata.get('kafka_partition') === p)
        .sort(
          (a, b) => (a.metadata.get('kafka_offset') as number) - (b.metadata.get('kafka_offset') as number),
        )
      expect(mine.map((m) => m.text())).toEqual([0, 1, 2, 3].map((i) => `${p}-${i}`))
      expect(mine.map((m) => m.metadata.get('kafka_offset'))).toEqual([0, 1, 2, 3])
    }
  })

  test('the manual partitioner and every compression codec', async () => {
    const topic = uniqueTopic('codecs')
    await createTopic(topic, 4)
    for (const [i, compression] of ['none', 'gzip', 'snappy', 'lz4', 'zstd'].entries()) {
      const writer = await run(`
input:
  generate:
    count: 50
    interval: ""
    mapping: 'root = {"codec": "${compression}", "i": counter(), "pad": "abc".repeat(100)}'
output:
  kafka:
    addresses: [ "${brokers()}" ]
    topic: ${topic}
    partitioner: manual
    partition: '\${! ${i} % 4 }'
    compression: ${compression}
    batching:
      count: 25
`)
      await writer.done
    }
    const records = await readTopic(topic, 250)
    expect(records).toHaveLength(250)
    for (const r of records) {
      const value = JSON.parse(r.value!) as { codec: string }
      const i = ['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(value.codec)
      expect(r.partition).toBe(i % 4)
    }
    // and our input reads every codec back
    const reader = await run(`${input([topic], '    consumer_group: g-codecs')}
output:
  capture: codecs
`)
    streams.push(reader)
    const got = await waitForCount('codecs', 250)
    await reader.stop(5000)
    expect(new Set(got.map((m) => (JSON.parse(m.text()) as { codec: string }).codec)).size).toBe(5)
  })
})

const waitForCount = (id: string, count: number, timeoutMs = 60_000) =>
  eventually(() => capturedOf(id), {
    until: (m) => m.length >= count,
    timeoutMs,
    what: `${count} messages in capture ${id}`,
  })
