// Shared pieces of the integration tests: a kafkajs admin/producer on the real broker, unique
// topic names, and streams from YAML with this package and the shared `capture` output (which can
// refuse messages, to test nacks).
import { randomUUID } from 'node:crypto'
import type { Message, Stream } from '@bento-ts/core'
import { requireService, streamHarness } from '@bento-ts/test-services'
import kafkajs, { type Admin, type Message as KafkaMessage } from 'kafkajs'

const { Kafka, logLevel } = kafkajs

export const brokers = (): string => requireService('kafka').KAFKA_BROKERS!

export const client = () =>
  new Kafka({ brokers: [brokers()], clientId: 'kafka-tests', logLevel: logLevel.NOTHING })

export const uniqueTopic = (what: string) => `test-${what}-${randomUUID().slice(0, 8)}`

export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = client().admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

export async function createTopic(
  topic: string,
  partitions = 1,
  configEntries?: { name: string; value: string }[],
) {
  await withAdmin((admin) =>
    admin.createTopics({
      topics: [{ topic, numPartitions: partitions, ...(configEntries ? { configEntries } : {}) }],
      waitForLeaders: true,
    }),
  )
}

/** Produces messages in chunks (kafkajs groups a send's messages in quadratic time). */
export async function produce(topic: string, messages: KafkaMessage[]): Promise<void> {
  const producer = client().producer({ allowAutoTopicCreation: true })
  await producer.connect()
  try {
    for (let i = 0; i < messages.length; i += 2000) {
      await producer.send({ topic, messages: messages.slice(i, i + 2000), acks: -1 })
    }
  } finally {
    await producer.disconnect()
  }
}

/** Sum of the high-water marks of a topic: how many records it holds (no compaction, no transactions). */
export async function recordCount(topic: string, admin?: Admin): Promise<number> {
  const count = async (a: Admin) => {
    const offsets = await a.fetchTopicOffsets(topic)
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0)
  }
  return admin === undefined ? withAdmin(count) : count(admin)
}

export interface KafkaRecord {
  key: string | null
  value: string | null
  partition: number
  offset: number
  headers: { [key: string]: string | string[] }
}

/** Reads a whole topic from the start with a throwaway group until `count` records were seen. */
export async function readTopic(topic: string, count: number, timeoutMs = 60_000): Promise<KafkaRecord[]> {
  const consumer = client().consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 200 })
  const out: KafkaRecord[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    const done = new Promise<void>((resolve) => {
      if (count === 0) resolve()
      consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const headers: KafkaRecord['headers'] = {}
            for (const [k, v] of Object.entries(m.headers ?? {})) {
              if (v === undefined) continue
              headers[k] = Array.isArray(v) ? v.map((x) => x.toString()) : v.toString()
            }
            out.push({
              key: m.key === null ? null : m.key.toString(),
              value: m.value === null ? null : m.value.toString(),
              partition: batch.partition,
              offset: Number(m.offset),
              headers,
            })
          }
          if (out.length >= count) resolve()
        },
      })
    })
    await Promise.race([
      done,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`read ${out.length} of ${count} records of ${topic}`)), timeoutMs),
      ),
    ])
  } finally {
    await consumer.disconnect()
  }
  return out
}

export async function committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
  return withAdmin(async (admin) => {
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] })
    return new Map(entry!.partitions.map((p) => [p.partition, Number(p.offset)]))
  })
}

const harness = await streamHarness<Stream, Message>(import.meta.url)

/** Starts a stream from YAML with this package and the shared `capture: <id>` output. */
export const run = (yaml: string): Promise<Stream> => harness.start(yaml)

/** The capture `capture: <id>` writes to: its messages, and `refuse` to fail (nack) writes. */
export const captureOf = (id: string) => harness.captured(id)

export const capturedOf = (id: string): Message[] => harness.captured(id).messages
