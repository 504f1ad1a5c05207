// Shared pieces of the integration tests: a kafkajs admin/producer on the real broker, unique
// topic names, a `capture` output that records what a stream delivered (and can refuse messages,
// to test nacks), and running a stream from YAML with this package registered.
import { randomUUID } from 'node:crypto'
import {
  addPlugin,
  type Environment,
  field,
  loadStreamConfig,
  type Message,
  type Plugin,
  type Stream,
  silentLogger,
  standardEnvironment,
  startStream,
} from '@bento-ts/core'
import { requireService } from '@bento-ts/test-services'
import kafkajs, { type Admin, type Message as KafkaMessage } from 'kafkajs'
import { register } from '../src/index.ts'

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

/** What `capture: <id>` outputs delivered; a hook may throw to refuse (nack) a message. */
export const captured = new Map<string, Message[]>()
export const refusals = new Map<string, (message: Message) => boolean>()

const captureOutput: Plugin<'output'> = {
  spec: {
    name: 'capture',
    kind: 'output',
    summary: 'test output: records delivered messages in memory',
    value: field.string('id'),
  },
  create: (id: string) => ({
    connect: async () => {},
    close: async () => {},
    async write(batch) {
      const refuse = refusals.get(id)
      if (refuse !== undefined && batch.some((m) => refuse(m))) throw new Error('refused by the test')
      let list = captured.get(id)
      if (list === undefined) {
        list = []
        captured.set(id, list)
      }
      list.push(...batch)
    },
  }),
}

export function environment(): Environment {
  const env = standardEnvironment()
  register(env)
  addPlugin(env, captureOutput)
  return env
}

export function run(yaml: string): Promise<Stream> {
  const env = environment()
  return startStream(loadStreamConfig(yaml, env), env, { logger: silentLogger })
}

export const capturedOf = (id: string): Message[] => captured.get(id) ?? []
