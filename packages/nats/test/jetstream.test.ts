// JetStream: the `nats_jetstream` input and output against the real server.

import type { ComponentContext } from '@bento-ts/core'
import { noTls } from '@bento-ts/core/kit'
import { componentContext, eventually } from '@bento-ts/test-services'
import { AckPolicy, headers, type JetStreamManager, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { jetStreamOutput } from '../src/index.ts'
import { capturedOf, client, natsUrl, runYaml, text, unique } from './helpers.ts'

const decoder = new TextDecoder()
let nc: NatsConnection
let jsm: JetStreamManager
const streams: string[] = []

beforeAll(async () => {
  nc = await client()
  jsm = await nc.jetstreamManager()
})
afterAll(async () => {
  for (const s of streams) await jsm.streams.delete(s).catch(() => {})
  await nc.close()
})

async function newStream(prefix: string): Promise<{ stream: string; subject: string }> {
  const stream = unique(prefix).toUpperCase()
  const subject = stream.toLowerCase()
  await jsm.streams.add({ name: stream, subjects: [`${subject}.>`] })
  streams.push(stream)
  return { stream, subject }
}

describe('nats_jetstream input', () => {
  test('a durable consumer delivers every message with Bento metadata and acks it after the output', async () => {
    const { stream, subject } = await newStream('jsin')
    const js = nc.jetstream()
    for (let i = 1; i <= 20; i++) {
      const h = headers()
      h.set('X-Index', String(i))
      h.set('X-Empty', '')
      await js.publish(`${subject}.item`, `m${i}`, { headers: h })
    }
    const out = unique('cap')
    const running = await runYaml(`
input:
  label: js_reader
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}.>
    durable: reader
output:
  capture: ${out}
`)
    try {
      await eventually(() => capturedOf(out).length >= 20, { what: '20 messages' })
      await eventually(async () => (await jsm.consumers.info(stream, 'reader')).ack_floor.stream_seq === 20, {
        what: 'every ack',
      })
    } finally {
      await running.stop(5000)
    }
    const messages = capturedOf(out)
    expect(messages.map(text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i + 1}`))
    const first = messages[0]!.metadata
    expect(first.get('nats_subject')).toBe(`${subject}.item`)
    expect(first.get('nats_sequence_stream')).toBe('1')
    expect(first.get('nats_sequence_consumer')).toBe('1')
    expect(first.get('nats_num_delivered')).toBe('1')
    expect(first.get('nats_num_pending')).toBe('19')
    expect(first.get('nats_domain')).toBe('')
    const stamp = BigInt(first.get('nats_timestamp_unix_nano') as string)
    expect(Number(stamp / 1_000_000n)).toBeGreaterThan(Date.now() - 120_000)
    expect(first.get('X-Index')).toBe('1')
    expect(first.has('X-Empty')).toBe(false)
    expect(messages[19]!.metadata.get('nats_sequence_stream')).toBe('20')
    expect(messages[19]!.metadata.get('nats_num_pending')).toBe('0')

    const info = await jsm.consumers.info(stream, 'reader')
    expect(info.num_ack_pending).toBe(0)
    expect(info.config.deliver_subject).toMatch(/^_INBOX\./)
    expect(info.config.max_ack_pending).toBe(1024)
    expect(info.config.ack_wait).toBe(30_000_000_000)
  })

  test('a nacked message is delivered again (Nak), and only acked once delivered', async () => {
    const { stream, subject } = await newStream('jsnak')
    const js = nc.jetstream()
    for (let i = 1; i <= 10; i++) await js.publish(`${subject}.x`, `n${i}`)
    const out = unique('cap')
    const running = await runYaml(`
input:
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}.>
    durable: naks
output:
  switch:
    cases:
      - check: '@nats_num_delivered == "1"'
        output:
          reject: 'first delivery refused'
      - output:
          capture: ${out}
`)
    try {
      await eventually(() => capturedOf(out).length >= 10, { what: '10 redelivered messages' })
      await eventually(async () => (await jsm.consumers.info(stream, 'naks')).ack_floor.stream_seq === 10, {
        what: 'every ack',
      })
    } finally {
      await running.stop(5000)
    }
    const messages = capturedOf(out)
    expect(messages.map(text).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `n${i + 1}`).sort())
    for (const m of messages) expect(m.metadata.get('nats_num_delivered')).toBe('2')
    const info = await jsm.consumers.info(stream, 'naks')
    expect(info.num_redelivered).toBe(0)
    expect(info.num_ack_pending).toBe(0)
  })

  test('a durable consumer resumes where it stopped; deliver: new skips what is there', async () => {
    const { stream, subject } = await newStream('jsresume')
    const js = nc.jetstream()
    for (let i = 1; i <= 5; i++) await js.publish(`${subject}.x`, `a${i}`)
    const out = unique('cap')
    const config = (durable: string, deliver: string) => `
input:
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    stream: ${stream}
    subject: ${subject}.>
    durable: ${durable}
    deliver: ${deliver}
    ack_wait: 10s
    max_ack_pending: 16
output:
  capture: ${out}
`
    let running = await runYaml(config('resumer', 'all'))
    await eventually(() => capturedOf(out).length >= 5, { what: '5 messages' })
    await eventually(async () => (await jsm.consumers.info(stream, 'resumer')).ack_floor.stream_seq === 5, {
      what: 'acks',
    })
    await running.stop(5000)
    for (let i = 6; i <= 8; i++) await js.publish(`${subject}.x`, `a${i}`)
    running = await runYaml(config('resumer', 'all'))
    try {
      await eventually(() => capturedOf(out).length >= 8, { what: '8 messages' })
    } finally {
      await running.stop(5000)
    }
    expect(capturedOf(out).map(text)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'])
    const info = await jsm.consumers.info(stream, 'resumer')
    expect(info.config.max_ack_pending).toBe(16)
    expect(info.config.ack_wait).toBe(10_000_000_000)

    // A new consumer with deliver: new sees only what comes after it.
    const fresh = unique('cap')
    running = await runYaml(config('newcomer', 'new').replace(`capture: ${out}`, `capture: ${fresh}`))
    try {
      await eventually(
        async () => {
          try {
            await jsm.consumers.info(stream, 'newcomer')
            return true
          } catch {
            return false
          }
        },
        { what: 'the consumer' },
      )
      await js.publish(`${subject}.x`, 'after')
      await eventually(() => capturedOf(fresh).length >= 1, { what: 'the new message' })
    } finally {
      await running.stop(5000)
    }
    expect(capturedOf(fresh).map(text)).toEqual(['after'])
  })

  test('a queue group shares one durable consumer between two streams', async () => {
    const { stream, subject } = await newStream('jsqueue')
    const [a, b] = [unique('qa'), unique('qb')]
    const config = (out: string) => `
input:
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}.>
    queue: workers
    max_ack_pending: 8
output:
  capture: ${out}
`
    const first = await runYaml(config(a))
    const second = await runYaml(config(b))
    try {
      const js = nc.jetstream()
      // Both members are subscribed once each has received something.
      await eventually(
        async () => {
          await Promise.all(Array.from({ length: 20 }, () => js.publish(`${subject}.probe`, 'probe')))
          return capturedOf(a).length > 0 && capturedOf(b).length > 0
        },
        { what: 'both members' },
      )
      await eventually(
        async () => {
          const info = await jsm.consumers.info(stream, 'workers')
          return info.num_pending === 0 && info.num_ack_pending === 0
        },
        { what: 'the probes to be acked' },
      )
      capturedOf(a).length = 0
      capturedOf(b).length = 0
      const total = 300
      await Promise.all(Array.from({ length: total }, (_, i) => js.publish(`${subject}.w`, `w${i}`)))
      await eventually(() => capturedOf(a).length + capturedOf(b).length >= total, {
        what: 'every message',
      })
      const seen = [...(capturedOf(a) ?? []), ...(capturedOf(b) ?? [])].map(text)
      expect(new Set(seen).size).toBe(total)
      expect(capturedOf(a).length).toBeGreaterThan(0)
      expect(capturedOf(b).length).toBeGreaterThan(0)
      const info = await jsm.consumers.info(stream, 'workers')
      expect(info.config.deliver_group).toBe('workers')
    } finally {
      await first.stop(5000)
      await second.stop(5000)
    }
  })

  test('bind: true reads through an existing pull consumer', async () => {
    const { stream, subject } = await newStream('jsbind')
    await jsm.consumers.add(stream, { durable_name: 'puller', ack_policy: AckPolicy.Explicit })
    const js = nc.jetstream()
    for (let i = 1; i <= 5; i++) await js.publish(`${subject}.p`, `p${i}`)
    const out = unique('cap')
    const running = await runYaml(`
input:
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    stream: ${stream}
    durable: puller
    bind: true
output:
  capture: ${out}
`)
    try {
      await eventually(() => capturedOf(out).length >= 5, { what: '5 messages' })
      await eventually(async () => (await jsm.consumers.info(stream, 'puller')).ack_floor.stream_seq === 5, {
        what: 'acks',
      })
    } finally {
      await running.stop(5000)
    }
    expect(capturedOf(out).map(text)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5'])
    expect(capturedOf(out)[0]!.metadata.get('nats_sequence_stream')).toBe('1')
  })

  test('configs Bento rejects are rejected with the field named', async () => {
    await expect(
      runYaml(`
input:
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    durable: x
output:
  drop: {}
`),
    ).rejects.toThrow(/subject is empty/)
    await expect(
      runYaml(`
input:
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    bind: true
    subject: a.b
output:
  drop: {}
`),
    ).rejects.toThrow(/stream or durable is required when bind is true/)
  })
})

describe('nats_jetstream output', () => {
  test('stores every message with interpolated subject, headers and selected metadata', async () => {
    const { stream, subject } = await newStream('jsout')
    const running = await runYaml(`
input:
  generate:
    count: 50
    interval: ""
    mapping: |
      root = "v" + count("${subject}").string()
      meta part = if count("${subject}_p") <= 25 { "low" } else { "high" }
      meta app_id = "bento"
      meta secret = "hidden"
output:
  label: js_writer
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}.\${! meta("part") }
    headers:
      X-Part: \${! meta("part") }
    metadata:
      include_prefixes: [ app_ ]
`)
    await running.done
    const info = await jsm.streams.info(stream)
    expect(info.state.messages).toBe(50)
    const consumer = await (async () => {
      await jsm.consumers.add(stream, { durable_name: 'check', ack_policy: AckPolicy.None })
      return nc.jetstream().consumers.get(stream, 'check')
    })()
    const batch = await consumer.fetch({ max_messages: 50, expires: 5000 })
    const got: { subject: string; data: string; part: string; app: string; secret: boolean }[] = []
    for await (const m of batch) {
      got.push({
        subject: m.subject,
        data: decoder.decode(m.data),
        part: m.headers?.get('X-Part') ?? '',
        app: m.headers?.get('app_id') ?? '',
        secret: m.headers?.has('secret') ?? false,
      })
      if (got.length === 50) break
    }
    expect(got.length).toBe(50)
    expect(new Set(got.map((g) => g.data)).size).toBe(50)
    for (const g of got) {
      const n = Number(g.data.slice(1))
      const part = n <= 25 ? 'low' : 'high'
      expect(g.subject).toBe(`${subject}.${part}`)
      expect(g.part).toBe(part)
      expect(g.app).toBe('bento')
      expect(g.secret).toBe(false)
    }
  })

  test('a write to a subject no stream listens on fails (nothing is acked as stored)', async () => {
    const output = await jetStreamOutput.create(
      {
        urls: [natsUrl()],
        subject: unique('nowhere'),
        headers: {},
        metadata: { include_prefixes: [], include_patterns: [] },
        max_in_flight: 8,
        tls: noTls,
      },
      await componentContext<ComponentContext>(import.meta.url),
    )
    const signal = new AbortController().signal
    await output.connect(signal)
    try {
      const { Message } = await import('@bento-ts/core')
      await expect(output.write([new Message('x')], signal)).rejects.toThrow(/no stream is listening/)
    } finally {
      await output.close()
    }
  })

  test('jetstream to jetstream through a mapping, metadata carried as headers', async () => {
    const source = await newStream('jssrc')
    const sink = await newStream('jssink')
    const js = nc.jetstream()
    for (let i = 1; i <= 200; i++) await js.publish(`${source.subject}.in`, JSON.stringify({ id: i }))
    const running = await runYaml(`
input:
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    subject: ${source.subject}.>
    durable: bridge
pipeline:
  processors:
    - mapping: |
        root.id = this.id
        root.doubled = this.id * 2
output:
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    subject: ${sink.subject}.out
    metadata:
      include_prefixes: [ nats_sequence_stream ]
`)
    try {
      await eventually(async () => (await jsm.streams.info(sink.stream)).state.messages >= 200, {
        what: '200 stored',
      })
      await eventually(
        async () => (await jsm.consumers.info(source.stream, 'bridge')).ack_floor.stream_seq === 200,
        { what: 'every ack' },
      )
    } finally {
      await running.stop(5000)
    }
    const first = await jsm.streams.getMessage(sink.stream, { seq: 1 })
    const body = JSON.parse(decoder.decode(first.data)) as { id: number; doubled: number }
    expect(body.doubled).toBe(body.id * 2)
    expect(first.header.get('nats_sequence_stream')).toBe(String(body.id))
    expect((await jsm.streams.info(sink.stream)).state.messages).toBe(200)
  })
})
