import { randomUUID } from 'node:crypto'
import { AckPolicy, connect, StringCodec } from 'nats'
import { expect, test } from 'vitest'
import { requireService } from '../src/index.ts'

test('nats JetStream publishes and a durable consumer acks', async () => {
  const { NATS_URL } = requireService('nats')
  const nc = await connect({ servers: NATS_URL! })
  const codec = StringCodec()
  const stream = `SMOKE_${randomUUID().replaceAll('-', '')}`
  const subject = `smoke.${stream}`
  const jsm = await nc.jetstreamManager()
  try {
    await jsm.streams.add({ name: stream, subjects: [`${subject}.>`] })
    const js = nc.jetstream()
    for (let i = 0; i < 5; i++) {
      const ack = await js.publish(`${subject}.orders`, codec.encode(`order ${i}`))
      expect(ack.seq).toBe(i + 1)
    }
    await jsm.consumers.add(stream, { durable_name: 'smoke', ack_policy: AckPolicy.Explicit })
    const consumer = await js.consumers.get(stream, 'smoke')
    const messages = await consumer.fetch({ max_messages: 5, expires: 5000 })
    const bodies: string[] = []
    for await (const message of messages) {
      bodies.push(codec.decode(message.data))
      await message.ackAck()
    }
    expect(bodies).toEqual(['order 0', 'order 1', 'order 2', 'order 3', 'order 4'])

    const info = await consumer.info()
    expect(info.num_ack_pending).toBe(0)
    expect(info.delivered.stream_seq).toBe(5)
    expect(info.ack_floor.stream_seq).toBe(5)
  } finally {
    await jsm.streams.delete(stream).catch(() => {})
    await nc.drain()
  }
})
