// JetStream: the `nats_jetstream` input and output against the real server.
import { type ComponentContext, silentLogger } from '@bento-ts/core'
import { AckPolicy, headers, type JetStreamManager, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { jetStreamOutput } from '../src/index.ts'
import { captured, client, natsUrl, runYaml, text, unique, waitFor } from './helpers.ts'

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
      await waitFor('20 messages', () => (captured.get(out)?.length ?? 0) >= 20)
      await waitFor(
        'every ack',
        async () => (await jsm.consumers.info(stream, 'reader')).ack_floor.stream_seq === 20,
      )
    } finally {
      await running.stop(5000)
    }
    const messages = captured.get(out)!
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
      await waitFor('10 redelivered messages', () => (captured.get(out)?.length ?? 0) >= 10)
      await waitFor(
        'every ack',
        async () => (await jsm.consumers.info(stream, 'naks')).ack_floor.stream_seq === 10,
      )
    } finally {
      await running.stop(5000)
    }
    const messages = captured.get(out)!
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
    await waitFor('5 messages', () => (captured.get(out)?.length ?? 0) >= 5)
    await waitFor(
      'acks',
      async () => (await jsm.consumers.info(stream, 'resumer')).ack_floor.stream_seq === 5,
    )
    await running.stop(5000)
    for (let i = 6; i <= 8; i++) await js.publish(`${subject}.x`, `a${i}`)
    running = await runYaml(config('resumer', 'all'))
    try {
      await waitFor('8 messages', () => (captured.get(out)?.length ?? 0) >= 8)
    } finally {
      await running.stop(5000)
    }
    expect(captured.get(out)!.map(text)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'])
    const info = await jsm.consumers.info(stream, 'resumer')
    expect(info.config.max_ack_pending).toBe(16)
    expect(info.config.ack_wait).toBe(10_000_000_000)

    // A new consumer with deliver: new sees only what comes after it.
    const fresh = unique('cap')
    running = await runYaml(config('newcomer', 'new').replace(`capture: ${out}`, `capture: ${fresh}`))
    try {
      await waitFor('the consumer', async () => {
        try {
          await jsm.consumers.info(stream, 'newcomer')
          return true
        } catch {
          return false
        }
      })
      await js.publish(`${subject}.x`, 'after')
      await waitFor('the new message', () => (captured.get(fresh)?.length ?? 0) >= 1)
    } finally {
      await running.stop(5000)
    }
    expect(captured.get(fresh)!.map(text)).toEqual(['after'])
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
      await waitFor('both members', async () => {
        await Promise.all(Array.from({ length: 20 }, () => js.publish(`${subject}.probe`, 'probe')))
        return (captured.get(a)?.length ?? 0) > 0 && (captured.get(b)?.length ?? 0) > 0
      })
      await waitFor('the probes to be acked', async () => {
        const info = await jsm.consumers.info(stream, 'workers')
        return info.num_pending === 0 && info.num_ack_pending === 0
      })
      captured.set(a, [])
      captured.set(b, [])
      const total = 300
      await Promise.all(Array.from({ length: total }, (_, i) => js.publish(`${subject}.w`, `w${i}`)))
      await waitFor(
        'every message',
        () => (captured.get(a)?.length ?? 0) + (captured.get(b)?.length ?? 0) >= total,
      )
      const seen = [...(captured.get(a) ?? []), ...(captured.get(b) ?? [])].map(text)
      expect(new Set(seen).size).toBe(total)
      expect(captured.get(a)?.length ?? 0).toBeGreaterThan(0)
      expect(captured.get(b)?.length ?? 0).toBeGreaterThan(0)
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
      await waitFor('5 messages', () => (captured.get(out)?.length ?? 0) >= 5)
      await waitFor(
        'acks',
        async () => (await jsm.consumers.info(stream, 'puller')).ack_floor.stream_seq === 5,
      )
    } finally {
      await running.stop(5000)
    }
    expect(captured.get(out)!.map(text)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5'])
    expect(captured.get(out)![0]!.metadata.get('nats_sequence_stream')).toBe('1')
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
        tls: {
          enabled: false,
          skip_cert_verify: false,
          enable_renegotiation: false,
          root_cas: '',
          root_cas_file: '',
          client_certs: [],
        },
      },
      { label: 'test', logger: silentLogger } as ComponentContext,
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
      await waitFor('200 stored', async () => (await jsm.streams.info(sink.stream)).state.messages >= 200)
      await waitFor(
        'every ack',
        async () => (await jsm.consumers.info(source.stream, 'bridge')).ack_floor.stream_seq === 200,
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
