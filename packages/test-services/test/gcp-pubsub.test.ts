import { randomUUID } from 'node:crypto'
import { type Message, PubSub } from '@google-cloud/pubsub'
import { expect, test } from 'vitest'
import { requireService } from '../src/index.ts'

test('@google-cloud/pubsub publishes and subscribes over gRPC against the emulator', async () => {
  const env = requireService('pubsub')
  // The client library reads PUBSUB_EMULATOR_HOST; set it only for this client.
  const pubsub = new PubSub({
    projectId: env.PUBSUB_PROJECT_ID!,
    apiEndpoint: env.PUBSUB_EMULATOR_HOST!,
    emulatorMode: true,
  })
  const [topic] = await pubsub.createTopic(`smoke-${randomUUID()}`)
  const [subscription] = await topic.createSubscription(`smoke-sub-${randomUUID()}`, {
    ackDeadlineSeconds: 10,
  })
  try {
    const received = new Promise<Message>((resolve, reject) => {
      subscription.on('message', (message: Message) => {
        message.ack()
        resolve(message)
      })
      subscription.on('error', reject)
    })
    const id = await topic.publishMessage({
      data: Buffer.from('{"hello":"pubsub"}'),
      attributes: { origin: 'smoke' },
    })
    const message = await received
    expect(message.id).toBe(id)
    expect(message.data.toString()).toBe('{"hello":"pubsub"}')
    expect(message.attributes).toEqual({ origin: 'smoke' })
  } finally {
    await subscription.close()
    await subscription.delete()
    await topic.delete()
    await pubsub.close()
  }
})
