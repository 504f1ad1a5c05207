import { lintStreamConfig, silentLogger, standardEnvironment } from '@bento-ts/core'
import { describe, expect, test } from 'vitest'
import { register } from './index.ts'
import { KafkaReader } from './input.ts'
import { KafkaWriter } from './output.ts'

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

const inputConfig = (over: Record<string, unknown>) =>
  ({
    addresses: ['localhost:9092'],
    topics: ['t'],
    consumer_group: 'g',
    client_id: 'bento',
    rack_id: '',
    start_from_oldest: true,
    checkpoint_limit: 1024,
    auto_replay_nacks: true,
    commit_period: '1s',
    transaction_isolation_level: 'read_uncommitted',
    max_processing_period: '100ms',
    group: { session_timeout: '10s', heartbeat_interval: '3s', rebalance_timeout: '60s' },
    fetch_buffer_cap: 256,
    multi_header: false,
    debug: false,
    batching: { count: 0, byte_size: 0, period: '', check: '' },
    tls: { enabled: false },
    sasl: { mechanism: 'none' },
    ...over,
  }) as never

describe('config errors name the field', () => {
  test('input', () => {
    expect(() => new KafkaReader(inputConfig({ consumer_group: '' }), silentLogger)).toThrow(
      /consumer_group: a consumer group must be specified when consuming balanced topics/,
    )
    expect(() => new KafkaReader(inputConfig({ topics: ['a', 'b:1'] }), silentLogger)).toThrow(
      /topics: it is not currently possible to include balanced and explicit/,
    )
    expect(() => new KafkaReader(inputConfig({ topics: [] }), silentLogger)).toThrow(/topics: must specify/)
    expect(() => new KafkaReader(inputConfig({ checkpoint_limit: 0 }), silentLogger)).toThrow(
      /checkpoint_limit/,
    )
    // explicit partitions need no group
    expect(
      () => new KafkaReader(inputConfig({ consumer_group: '', topics: ['a:0-3'] }), silentLogger),
    ).not.toThrow()
  })

  test('output', () => {
    const base = {
      addresses: ['localhost:9092'],
      topic: 't',
      client_id: 'bento',
      rack_id: '',
      key: '',
      partitioner: 'fnv1a_hash',
      partition: '',
      compression: 'none',
      metadata: { exclude_prefixes: [] },
      max_in_flight: 64,
      idempotent_write: false,
      ack_replicas: false,
      max_msg_bytes: 1_000_000,
      timeout: '5s',
      retry_as_batch: false,
      max_retries: 0,
      backoff: { initial_interval: '3s', max_interval: '10s', max_elapsed_time: '30s' },
      tls: { enabled: false },
      sasl: { mechanism: 'none' },
    }
    const make = (over: Record<string, unknown>) =>
      new KafkaWriter({ ...base, ...over } as never, silentLogger)
    expect(() => make({ partitioner: 'manual' })).toThrow(
      /partition: field required for 'manual' partitioner/,
    )
    expect(() => make({ partition: '1' })).toThrow(/partition: field can only be specified for 'manual'/)
    expect(() => make({ topic: '${! json(' })).toThrow(/failed to parse topic expression/)
    expect(make({}).maxInFlight).toBe(64)
  })
})
