import { randomUUID } from 'node:crypto'
import { type EachMessagePayload, Kafka, logLevel } from 'kafkajs'
import { expect, test } from 'vitest'
import { requireService } from '../src/index.ts'

test('kafkajs produces and consumes in a consumer group on the real broker', async () => {
  const { KAFKA_BROKERS } = requireService('kafka')
  const kafka = new Kafka({ clientId: 'smoke', brokers: [KAFKA_BROKERS!], logLevel: logLevel.NOTHING })
  const topic = `smoke-${randomUUID()}`
  const groupId = `smoke-group-${randomUUID()}`
  const admin = kafka.admin()
  const producer = kafka.producer()
  const consumer = kafka.consumer({ groupId })
  try {
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })
    await producer.connect()
    const sent = Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `message ${i}` }))
    await producer.send({ topic, messages: sent })

    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const received: EachMessagePayload['message'][] = []
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          // Commit each message ourselves once handled, the way an at-least-once input acks.
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const next = (BigInt(message.offset) + 1n).toString()
            await consumer.commitOffsets([{ topic, partition, offset: next }])
            received.push(message)
            if (received.length === sent.length) resolve()
          },
        })
        .catch(reject)
    })
    expect(received.map((m) => m.value?.toString()).sort()).toEqual(sent.map((m) => m.value).sort())
    await consumer.stop()

    // The group's committed offsets add up to every message sent (-1: nothing committed there).
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
    const committed = offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
    expect(committed).toBe(sent.length)
  } finally {
    await consumer.disconnect()
    await producer.disconnect()
    await admin.deleteTopics({ topics: [topic] }).catch(() => {})
    await admin.disconnect()
  }
})
