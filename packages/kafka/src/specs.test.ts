import {
  BatchError,
  defaultsOf,
  FieldError,
  lintStreamConfig,
  loadStreamConfig,
  Message,
  type Output,
  silentLogger,
  standardEnvironment,
  startStream,
} from '@bento-ts/core'
import type { Producer } from 'kafkajs'
import { describe, expect, test } from 'vitest'
import { register } from './index.ts'
import { kafkaInput, readerSettings } from './input.ts'
import { KafkaWriter, kafkaOutput, ProducerConnection } from './output.ts'

const env = register(standardEnvironment())

// Every field Bento v1.20.0 documents for the kafka input and output, with non-default values.
const bentoConfig = `
input:
  kafka:
    addresses: [ "localhost:9092", "a:1,b:2" ]
    topics: [ "foo", "bar,baz" ]
    target_version: 2.1.0
    tls:
      enabled: true
      skip_cert_verify: true
      enable_renegotiation: false
      root_cas: ""
      root_cas_file: ""
      client_certs: []
    sasl:
      mechanism: SCRAM-SHA-512
      user: me
      password: secret
      access_token: ""
      token_cache: ""
      token_key: ""
    consumer_group: group
    client_id: bento
    rack_id: rack-1
    start_from_oldest: false
    checkpoint_limit: 10
    auto_replay_nacks: false
    commit_period: 2s
    transaction_isolation_level: read_committed
    max_processing_period: 200ms
    extract_tracing_map: 'root = @'
    new_root_span_with_link: true
    group:
      session_timeout: 20s
      heartbeat_interval: 5s
      rebalance_timeout: 30s
    fetch_buffer_cap: 512
    multi_header: true
    debug: false
    batching:
      count: 10
      byte_size: 0
      period: 1s
      check: ""
      processors: []
output:
  kafka:
    addresses: [ "localhost:9092" ]
    tls:
      enabled: false
    sasl:
      mechanism: PLAIN
      user: u
      password: p
    topic: 'out-\${! meta("kafka_topic") }'
    client_id: bento
    target_version: 3.1.0
    rack_id: ""
    key: '\${! json("id") }'
    partitioner: manual
    partition: '\${! meta("kafka_partition") }'
    custom_topic_creation:
      enabled: true
      partitions: 3
      replication_factor: 1
    compression: zstd
    static_headers:
      first: one
    metadata:
      exclude_prefixes: [ "kafka_" ]
    inject_tracing_map: 'meta = @'
    max_in_flight: 8
    idempotent_write: true
    ack_replicas: true
    max_msg_bytes: 2000000
    timeout: 10s
    retry_as_batch: true
    batching:
      count: 100
      period: 100ms
    max_retries: 3
    backoff:
      initial_interval: 1s
      max_interval: 5s
      max_elapsed_time: 1m
cache_resources:
  - label: state
    kafka:
      addresses: [ "localhost:9092" ]
      topic: state
      default_ttl: 5m
`

test('a Bento config using every documented kafka field lints clean', () => {
  expect(lintStreamConfig(bentoConfig, env, { vars: {} })).toEqual([])
})

test('unknown fields and bad options are still reported', () => {
  const problems = lintStreamConfig(
    `
input:
  kafka:
    addresses: [ x ]
    topics: [ t ]
    consumer_grup: g
output:
  kafka:
    addresses: [ x ]
    topic: t
    partitioner: nope
`,
    env,
    { vars: {} },
  )
  expect(problems.map((p) => p.message).join('\n')).toMatch(/consumer_grup/)
  expect(problems.map((p) => p.message).join('\n')).toMatch(/nope/)
})

// A parsed config: the spec's defaults, the required fields and what a test sets.
const inputConfig = (over: Record<string, unknown>) =>
  ({
    ...defaultsOf(kafkaInput.spec.fields!),
    addresses: ['localhost:9092'],
    topics: ['t'],
    consumer_group: 'g',
    ...over,
  }) as never

describe('config errors name the field', () => {
  test('input', () => {
    expect(() => readerSettings(inputConfig({ consumer_group: '' }))).toThrow(
      /consumer_group: a consumer group must be specified when consuming balanced topics/,
    )
    expect(() => readerSettings(inputConfig({ topics: ['a', 'b:1'] }))).toThrow(
      /topics: it is not currently possible to include balanced and explicit/,
    )
    expect(() => readerSettings(inputConfig({ topics: [] }))).toThrow(/topics: must specify/)
    expect(() => readerSettings(inputConfig({ checkpoint_limit: 0 }))).toThrow(/checkpoint_limit/)
    expect(() => readerSettings(inputConfig({ checkpoint_limit: 0 }))).toThrow(FieldError)
    // explicit partitions need no group
    expect(() => readerSettings(inputConfig({ consumer_group: '', topics: ['a:0-3'] }))).not.toThrow()
  })

  test('output', () => {
    const make = (over: Record<string, unknown>) =>
      kafkaOutput.create({ ...outputBase, ...over }, { logger: silentLogger } as never) as Output
    expect(() => make({ partitioner: 'manual' })).toThrow(
      /partition: field required for 'manual' partitioner/,
    )
    expect(() => make({ partition: '1' })).toThrow(/partition: field can only be specified for 'manual'/)
    expect(() => make({ topic: '${! json(' })).toThrow(/^topic: failed to parse interpolation/)
    expect(() => make({ sasl: { ...outputBase.sasl, mechanism: 'AWS_MSK_IAM' } })).toThrow(
      /^sasl.mechanism: AWS_MSK_IAM is not supported yet/,
    )
    expect(make({}).maxInFlight).toBe(64)
  })

  test('a stream that cannot start says where: the whole config path', async () => {
    const yaml = (output: string) => `
input: { generate: { count: 1, interval: "", mapping: 'root = 1' } }
output: { kafka: { addresses: [ "localhost:9092" ], topic: t, ${output} } }
`
    const start = (output: string) =>
      startStream(loadStreamConfig(yaml(output), env), env, { logger: silentLogger })
    await expect(start('partitioner: manual')).rejects.toThrow(
      "output.kafka.partition: field required for 'manual' partitioner",
    )
    await expect(start('tls: { enabled: true, root_cas_file: /nonexistent/ca.pem }')).rejects.toThrow(
      /^output\.kafka\.tls\.root_cas_file: cannot read \/nonexistent\/ca\.pem/,
    )
  })
})

const outputBase = {
  ...(defaultsOf(kafkaOutput.spec.fields!) as { sasl: Record<string, unknown> }),
  addresses: ['localhost:9092'],
  topic: 't',
}

describe('a write that fails for some of its messages', () => {
  // A producer that refuses the topics in `refuse` (each refusal once, or always) and records what it was sent.
  const harness = (over: Record<string, unknown>, refuse: Map<string, number>) => {
    const sent: string[][] = []
    const producer = {
      send: async ({ topic, messages }: { topic: string; messages: { value: Buffer }[] }) => {
        sent.push(messages.map((m) => `${topic}/${m.value.toString()}`))
        const left = refuse.get(topic) ?? 0
        if (left > 0) {
          refuse.set(topic, left - 1)
          throw new Error(`refused ${topic}`)
        }
        return []
      },
      disconnect: async () => {},
    } as unknown as Producer
    const config = {
      ...outputBase,
      topic: '${! meta("to") }',
      backoff: { initial_interval: '1ms', max_interval: '1ms', max_elapsed_time: '0s' },
      ...over,
    }
    const writer = new KafkaWriter(config as never, silentLogger)
    const connection = new ProducerConnection(producer, undefined, { acks: 1, timeout: 1000, compression: 0 })
    const batch = ['a', 'b', 'a', 'b'].map((to, i) => new Message(String(i), new Map([['to', to]])))
    return { sent, write: () => writer.write(connection, batch, new AbortController().signal), batch }
  }

  test('only the failed messages are sent again', async () => {
    const h = harness({ max_retries: 3 }, new Map([['b', 1]]))
    await h.write()
    expect(h.sent.sort()).toEqual(
      [
        ['a/0', 'a/2'],
        ['b/1', 'b/3'],
        ['b/1', 'b/3'],
      ].sort(),
    )
  })

  test('giving up, the BatchError names only the messages still failing', async () => {
    const h = harness({ max_retries: 2 }, new Map([['b', 100]]))
    const error = await h.write().catch((err: unknown) => err)
    expect(error).toBeInstanceOf(BatchError)
    const failures = (error as BatchError).failures
    expect([...failures.keys()]).toEqual([h.batch[1], h.batch[3]])
    expect([...failures.values()].map((e) => e.message)).toEqual(['refused b', 'refused b'])
    // the first try and two retries, of b's messages only
    expect(h.sent.filter((s) => s[0]!.startsWith('a/'))).toHaveLength(1)
    expect(h.sent.filter((s) => s[0]!.startsWith('b/'))).toHaveLength(3)
  })

  test('when every message failed the error is the send error itself', async () => {
    const h = harness(
      { max_retries: 1 },
      new Map([
        ['a', 100],
        ['b', 100],
      ]),
    )
    const error = await h.write().catch((err: unknown) => err)
    expect(error).not.toBeInstanceOf(BatchError)
    expect((error as Error).message).toMatch(/^refused /)
  })

  test('retry_as_batch sends the whole batch again', async () => {
    const h = harness({ max_retries: 3, retry_as_batch: true }, new Map([['b', 1]]))
    await h.write()
    expect(h.sent.filter((s) => s[0]!.startsWith('a/'))).toHaveLength(2)
    expect(h.sent.filter((s) => s[0]!.startsWith('b/'))).toHaveLength(2)
  })
})
