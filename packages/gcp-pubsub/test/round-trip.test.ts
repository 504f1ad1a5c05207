// Round trips through the gcp_pubsub input and output against the Pub/Sub emulator.
import { BatchError, Message, parseComponentValue } from '@bento-ts/core'
import { eventually } from '@bento-ts/test-services'
import type { PubSub } from '@google-cloud/pubsub'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { gcpPubsubOutput, type OutputConfig } from '../src/index.ts'
import {
  adminClient,
  drain,
  emulator,
  environment,
  errorLog,
  holdingOutput,
  idOf,
  receive,
  recordingOutput,
  run,
  topicAndSubscription,
  unique,
} from './helpers.ts'

const { host, project } = emulator()
let admin: PubSub

beforeAll(() => {
  admin = adminClient()
})
afterAll(async () => {
  await admin.close()
})

describe('gcp_pubsub output', () => {
  test('publishes payloads with metadata as attributes to an interpolated topic', async () => {
    const pair = await topicAndSubscription(admin, 'out')
    try {
      const stream = await run(
        `
input:
  generate:
    count: 5
    interval: ""
    mapping: |
      root = {"n": counter()}
      meta dest = "${idOf(pair.topic)}"
      meta kind = "order"
      meta kafka_key = "not sent"
output:
  gcp_pubsub:
    project: ${project}
    endpoint: ${host}
    topic: '\${! meta("dest") }'
    metadata:
      exclude_prefixes: [kafka_]
`,
        environment(),
      )
      await stream.done
      const got = await receive(admin, pair.subscription.name, 5)
      expect(got.map((m) => JSON.parse(m.data.toString()).n).sort()).toEqual([1, 2, 3, 4, 5])
      for (const m of got) expect(m.attributes).toEqual({ dest: idOf(pair.topic), kind: 'order' })
      expect(await drain(admin, pair.subscription.name, 500)).toEqual([])
    } finally {
      await pair.delete()
    }
  })

  test('a topic that does not exist fails the write, naming the topic', async () => {
    const missing = unique('missing')
    const { component, problems } = parseComponentValue(
      'output',
      { gcp_pubsub: { project, endpoint: host, topic: missing } },
      environment(),
      'output',
    )
    expect(problems).toEqual([])
    const output = gcpPubsubOutput(component!.config as OutputConfig)
    await output.connect(new AbortController().signal)
    try {
      await expect(output.write([new Message('x')], new AbortController().signal)).rejects.toThrow(
        `gcp_pubsub output: topic '${missing}' does not exist in project '${project}'`,
      )
    } finally {
      await output.close()
    }
  })

  test('a message Pub/Sub would refuse fails alone: a BatchError naming it, the others are published', async () => {
    const pair = await topicAndSubscription(admin, 'partial')
    const { component, problems } = parseComponentValue(
      'output',
      { gcp_pubsub: { project, endpoint: host, topic: idOf(pair.topic) } },
      environment(),
      'output',
    )
    expect(problems).toEqual([])
    const output = gcpPubsubOutput(component!.config as OutputConfig)
    await output.connect(new AbortController().signal)
    try {
      // an empty payload without attributes is what Pub/Sub rejects
      const batch = [new Message('first'), new Message(''), new Message('third')]
      const err = await output.write(batch, new AbortController().signal).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(BatchError)
      expect([...(err as BatchError).failures.keys()]).toEqual([batch[1]])
      expect((err as BatchError).failures.get(batch[1]!)!.message).toMatch(/empty payload and no attributes/)
      const got = await receive(admin, pair.subscription.name, 2)
      expect(got.map((m) => m.data.toString()).sort()).toEqual(['first', 'third'])
      expect(await drain(admin, pair.subscription.name, 500)).toEqual([])
    } finally {
      await output.close()
      await pair.delete()
    }
  })

  test('honours PUBSUB_EMULATOR_HOST when no endpoint is given', async () => {
    const pair = await topicAndSubscription(admin, 'env')
    const before = process.env.PUBSUB_EMULATOR_HOST
    process.env.PUBSUB_EMULATOR_HOST = host
    try {
      const stream = await run(
        `
input:
  generate:
    count: 1
    interval: ""
    mapping: root = "via the environment"
output:
  gcp_pubsub:
    project: ${project}
    topic: ${idOf(pair.topic)}
`,
        environment(),
      )
      await stream.done
      const [m] = await receive(admin, pair.subscription.name, 1)
      expect(m!.data.toString()).toBe('via the environment')
    } finally {
      if (before === undefined) delete process.env.PUBSUB_EMULATOR_HOST
      else process.env.PUBSUB_EMULATOR_HOST = before
      await pair.delete()
    }
  })
})

describe.each([false, true])('gcp_pubsub input (sync: %s)', (sync) => {
  test('delivers payload, attributes and Bento metadata, then acks', async () => {
    const pair = await topicAndSubscription(admin, 'in')
    try {
      const published = new Map<string, number>()
      const before = Math.floor(Date.now() / 1000)
      for (let i = 0; i < 20; i++) {
        const id = await pair.topic.publishMessage({
          data: Buffer.from(JSON.stringify({ i })),
          attributes: { origin: 'test', index: String(i) },
        })
        published.set(id, i)
      }
      const recording = recordingOutput()
      const stream = await run(
        `
input:
  gcp_pubsub:
    project: ${project}
    subscription: ${idOf(pair.subscription)}
    endpoint: ${host}
    sync: ${sync}
output:
  record: {}
`,
        environment(recording.plugin),
      )
      try {
        await eventually(() => recording.messages.length >= 20, { what: '20 messages' })
      } finally {
        await stream.stop(10_000)
      }
      expect(recording.messages).toHaveLength(20)
      for (const m of recording.messages) {
        const id = m.metadata.get('gcp_pubsub_message_id') as string
        const i = published.get(id)
        expect(i).toBeDefined()
        expect(m.structured()).toEqual({ i })
        expect(m.metadata.get('origin')).toBe('test')
        expect(m.metadata.get('index')).toBe(String(i))
        const at = m.metadata.get('gcp_pubsub_publish_time_unix') as number
        expect(typeof at).toBe('number')
        expect(at).toBeGreaterThanOrEqual(before - 5)
        expect(at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5)
        expect(m.metadata.has('gcp_pubsub_delivery_attempt')).toBe(false)
        expect(m.metadata.has('gcp_pubsub_ordering_key')).toBe(false)
      }
      // Everything was acknowledged: after the ack deadline nothing comes back.
      expect(await drain(admin, pair.subscription.name, 12_000)).toEqual([])
    } finally {
      await pair.delete()
    }
  }, 60_000)

  test('a nacked message is redelivered until delivered, with its delivery attempt', async () => {
    const [deadLetters] = await admin.createTopic(unique('dead'))
    const pair = await topicAndSubscription(admin, 'nack', {
      deadLetterPolicy: { deadLetterTopic: deadLetters.name, maxDeliveryAttempts: 10 },
    })
    try {
      const ids: string[] = []
      for (let i = 0; i < 3; i++) ids.push(await pair.topic.publishMessage({ data: Buffer.from(`m${i}`) }))
      // The sink refuses each message the first two times it sees it.
      const seen = new Map<string, number>()
      const recording = recordingOutput((m) => {
        const id = m.metadata.get('gcp_pubsub_message_id') as string
        const n = (seen.get(id) ?? 0) + 1
        seen.set(id, n)
        return n <= 2
      })
      const stream = await run(
        `
input:
  gcp_pubsub:
    project: ${project}
    subscription: ${idOf(pair.subscription)}
    endpoint: ${host}
    sync: ${sync}
output:
  record: {}
`,
        environment(recording.plugin),
      )
      try {
        await eventually(() => recording.messages.length >= 3, { what: '3 deliveries' })
      } finally {
        await stream.stop(10_000)
      }
      expect(recording.messages.map((m) => m.metadata.get('gcp_pubsub_message_id')).sort()).toEqual(
        [...ids].sort(),
      )
      for (const id of ids) expect(seen.get(id)).toBe(3)
      // Third delivery of each: Pub/Sub counted the two nacks.
      for (const m of recording.messages) expect(m.metadata.get('gcp_pubsub_delivery_attempt')).toBe(3)
      expect(recording.attempts).toBe(9)
      expect(await drain(admin, pair.subscription.name, 12_000)).toEqual([])
    } finally {
      await pair.delete()
      await deadLetters.delete()
    }
  }, 60_000)
  test('holds no more than max_outstanding_messages unacknowledged', async () => {
    const pair = await topicAndSubscription(admin, 'window')
    const hold = holdingOutput()
    try {
      const sends: Promise<string>[] = []
      for (let i = 0; i < 50; i++) sends.push(pair.topic.publishMessage({ data: Buffer.from(String(i)) }))
      await Promise.all(sends)
      const stream = await run(
        `
input:
  gcp_pubsub:
    project: ${project}
    subscription: ${idOf(pair.subscription)}
    endpoint: ${host}
    sync: ${sync}
    max_outstanding_messages: 5
output:
  hold: {}
`,
        environment(hold.plugin),
      )
      try {
        await eventually(() => hold.held.length >= 5, { what: '5 held messages' })
        // Give the input time to overstep the window if it were going to.
        await new Promise((r) => setTimeout(r, 1500))
        expect(hold.held).toHaveLength(5)
        // Delivering them lets the next ones in.
        for (const h of hold.held.splice(0)) h.release()
        await eventually(() => hold.held.length >= 5, { what: 'the next 5' })
        await new Promise((r) => setTimeout(r, 1000))
        expect(hold.held).toHaveLength(5)
        for (const h of hold.held.splice(0)) h.release()
      } finally {
        const stopping = stream.stop(5000)
        // Whatever was handed out while stopping is delivered so the stop drains.
        const releasing = setInterval(() => {
          for (const h of hold.held.splice(0)) h.release()
        }, 50)
        await stopping
        clearInterval(releasing)
      }
    } finally {
      await pair.delete()
    }
  }, 60_000)

  test('waits for a missing subscription, naming it, and reads once it exists', async () => {
    const [topic] = await admin.createTopic(unique('late'))
    const subscription = unique('late-sub')
    const recording = recordingOutput()
    const log = errorLog()
    try {
      const stream = await run(
        `
input:
  gcp_pubsub:
    project: ${project}
    subscription: ${subscription}
    endpoint: ${host}
    sync: ${sync}
output:
  record: {}
`,
        environment(recording.plugin),
        log.logger,
      )
      try {
        await eventually(() => log.errors.some((e) => e.includes(subscription)), {
          what: 'an error naming the subscription',
        })
        expect(log.errors.find((e) => e.includes(subscription))).toMatch(
          /^gcp_pubsub input: .*(NOT_FOUND|does not exist)/,
        )
        await topic.createSubscription(subscription)
        await topic.publishMessage({ data: Buffer.from('finally') })
        await eventually(() => recording.messages.length >= 1, { what: 'the message' })
      } finally {
        await stream.stop(10_000)
      }
      expect(recording.messages.map((m) => m.text())).toEqual(['finally'])
    } finally {
      await admin
        .subscription(subscription)
        .delete()
        .catch(() => {})
      await topic.delete()
    }
  }, 60_000)
})

describe('gcp_pubsub input → gcp_pubsub output', () => {
  test('carries payloads and attributes through a mapping', async () => {
    const source = await topicAndSubscription(admin, 'src')
    const sink = await topicAndSubscription(admin, 'dst')
    try {
      const sourceIds: string[] = []
      for (let i = 0; i < 10; i++) {
        sourceIds.push(
          await source.topic.publishMessage({
            data: Buffer.from(JSON.stringify({ i })),
            attributes: { tenant: `t${i % 2}` },
          }),
        )
      }
      const stream = await run(
        `
input:
  gcp_pubsub:
    project: ${project}
    subscription: ${idOf(source.subscription)}
    endpoint: ${host}
pipeline:
  processors:
    - mapping: |
        root = this
        root.doubled = this.i * 2
        meta from_id = meta("gcp_pubsub_message_id")
output:
  gcp_pubsub:
    project: ${project}
    endpoint: ${host}
    topic: ${idOf(sink.topic)}
    metadata:
      exclude_prefixes: [gcp_pubsub_]
`,
        environment(),
      )
      let got: Awaited<ReturnType<typeof receive>>
      try {
        got = await receive(admin, sink.subscription.name, 10)
      } finally {
        await stream.stop(10_000)
      }
      const byIndex = new Map(got.map((m) => [JSON.parse(m.data.toString()).i as number, m]))
      expect([...byIndex.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      for (const [i, m] of byIndex) {
        expect(JSON.parse(m.data.toString())).toEqual({ i, doubled: i * 2 })
        expect(m.attributes).toEqual({ tenant: `t${i % 2}`, from_id: sourceIds[i] })
      }
      expect(await drain(admin, source.subscription.name, 12_000)).toEqual([])
    } finally {
      await source.delete()
      await sink.delete()
    }
  }, 60_000)
})

describe('create_subscription', () => {
  test('creates the subscription on the topic when it does not exist', async () => {
    const [topic] = await admin.createTopic(unique('create'))
    const subscription = unique('created-sub')
    const recording = recordingOutput()
    try {
      const [before] = await admin.subscription(subscription).exists()
      expect(before).toBe(false)
      const stream = await run(
        `
input:
  gcp_pubsub:
    project: ${project}
    subscription: ${subscription}
    endpoint: ${host}
    create_subscription:
      enabled: true
      topic: ${idOf(topic)}
output:
  record: {}
`,
        environment(recording.plugin),
      )
      try {
        let exists = false
        for (let i = 0; i < 100 && !exists; i++) {
          ;[exists] = await admin.subscription(subscription).exists()
          if (!exists) await new Promise((r) => setTimeout(r, 100))
        }
        expect(exists).toBe(true)
        const [metadata] = await admin.subscription(subscription).getMetadata()
        expect(metadata.topic).toBe(topic.name)
        await topic.publishMessage({ data: Buffer.from('after creation') })
        await eventually(() => recording.messages.length >= 1, { what: 'the message' })
      } finally {
        await stream.stop(10_000)
      }
      expect(recording.messages.map((m) => m.text())).toEqual(['after creation'])
    } finally {
      await admin
        .subscription(subscription)
        .delete()
        .catch(() => {})
      await topic.delete()
    }
  })

  test('an existing subscription is used as it is', async () => {
    const pair = await topicAndSubscription(admin, 'existing')
    const [other] = await admin.createTopic(unique('other'))
    const recording = recordingOutput()
    try {
      await pair.topic.publishMessage({ data: Buffer.from('kept') })
      const stream = await run(
        `
input:
  gcp_pubsub:
    project: ${project}
    subscription: ${idOf(pair.subscription)}
    endpoint: ${host}
    create_subscription:
      enabled: true
      topic: ${idOf(other)}
output:
  record: {}
`,
        environment(recording.plugin),
      )
      try {
        await eventually(() => recording.messages.length >= 1, { what: 'the message' })
      } finally {
        await stream.stop(10_000)
      }
      const [metadata] = await pair.subscription.getMetadata()
      expect(metadata.topic).toBe(pair.topic.name)
      expect(recording.messages.map((m) => m.text())).toEqual(['kept'])
    } finally {
      await pair.delete()
      await other.delete()
    }
  })
})

describe('ordering keys', () => {
  test('messages of one key arrive in the order they were written, with their key', async () => {
    const pair = await topicAndSubscription(admin, 'ordered', { enableMessageOrdering: true })
    const recording = recordingOutput()
    try {
      const writer = await run(
        `
input:
  generate:
    count: 300
    interval: ""
    mapping: |
      let n = counter()
      root = {"n": $n, "key": "k" + ($n % 3).string()}
output:
  gcp_pubsub:
    project: ${project}
    endpoint: ${host}
    topic: ${idOf(pair.topic)}
    ordering_key: '\${! json("key") }'
`,
        environment(),
      )
      await writer.done
      const reader = await run(
        `
input:
  gcp_pubsub:
    project: ${project}
    subscription: ${idOf(pair.subscription)}
    endpoint: ${host}
output:
  record: {}
`,
        environment(recording.plugin),
      )
      try {
        await eventually(() => recording.messages.length >= 300, { what: '300 messages' })
      } finally {
        await reader.stop(10_000)
      }
      const perKey = new Map<string, number[]>()
      for (const m of recording.messages) {
        const { n, key } = m.structured() as { n: number; key: string }
        expect(m.metadata.get('gcp_pubsub_ordering_key')).toBe(key)
        perKey.set(key, [...(perKey.get(key) ?? []), n])
      }
      expect([...perKey.keys()].sort()).toEqual(['k0', 'k1', 'k2'])
      for (const [key, ns] of perKey) {
        expect(ns).toHaveLength(100)
        expect(ns, `order of ${key}`).toEqual([...ns].sort((a, b) => a - b))
      }
    } finally {
      await pair.delete()
    }
  }, 60_000)
})
