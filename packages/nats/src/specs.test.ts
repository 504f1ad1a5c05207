// The specs carry Bento's field names and defaults (bento-reference.md §5), and the config checks
// and consumer settings follow from them.

import { Timestamp } from '@bento-ts/bloblang'
import {
  defaultsOf,
  type FieldSpec,
  loadStreamConfig,
  type Plugin,
  silentLogger,
  standardEnvironment,
  startStream,
} from '@bento-ts/core'
import { noTls } from '@bento-ts/core/kit'
import type { KvEntry } from 'nats'
import { describe, expect, test } from 'vitest'
import { components, register } from './index.ts'
import { checkJetStreamInput, consumerConfig, type JetStreamInputConfig } from './input-jetstream.ts'
import { createdOf, entryMessage } from './input-kv.ts'
import { nakPayload } from './input-nats.ts'

const find = (kind: string, name: string): Plugin =>
  components.find((p) => p.spec.kind === kind && p.spec.name === name)!
const names = (fields: readonly FieldSpec[] | undefined) => (fields ?? []).map((f) => f.name)

describe('specs', () => {
  test('every component with Bento field names', () => {
    const connection = ['tls', 'auth']
    expect(names(find('input', 'nats').spec.fields)).toEqual([
      'urls',
      'subject',
      'queue',
      'auto_replay_nacks',
      'nak_delay',
      'prefetch_count',
      'send_ack',
      ...connection,
      'extract_tracing_map',
      'new_root_span_with_link',
    ])
    expect(names(find('input', 'nats_jetstream').spec.fields)).toEqual([
      'urls',
      'queue',
      'subject',
      'durable',
      'stream',
      'bind',
      'deliver',
      'ack_wait',
      'max_ack_pending',
      ...connection,
      'extract_tracing_map',
      'new_root_span_with_link',
    ])
    expect(names(find('input', 'nats_kv').spec.fields)).toEqual([
      'urls',
      'bucket',
      'key',
      'auto_replay_nacks',
      'ignore_deletes',
      'include_history',
      'meta_only',
      ...connection,
    ])
    expect(names(find('output', 'nats').spec.fields)).toEqual([
      'urls',
      'subject',
      'headers',
      'metadata',
      'max_in_flight',
      ...connection,
      'inject_tracing_map',
    ])
    expect(names(find('output', 'nats_jetstream').spec.fields)).toEqual([
      'urls',
      'subject',
      'headers',
      'metadata',
      'max_in_flight',
      ...connection,
      'inject_tracing_map',
    ])
    expect(names(find('output', 'nats_kv').spec.fields)).toEqual([
      'urls',
      'bucket',
      'key',
      'max_in_flight',
      ...connection,
    ])
    expect(names(find('cache', 'nats_kv').spec.fields)).toEqual(['urls', 'bucket', ...connection])
  })

  test('Bento defaults', () => {
    expect(defaultsOf(find('input', 'nats').spec.fields!)).toMatchObject({
      auto_replay_nacks: true,
      prefetch_count: 500000,
      send_ack: true,
    })
    expect(defaultsOf(find('input', 'nats_jetstream').spec.fields!)).toMatchObject({
      deliver: 'all',
      ack_wait: '30s',
      max_ack_pending: 1024,
    })
    expect(defaultsOf(find('input', 'nats_kv').spec.fields!)).toMatchObject({
      key: '>',
      auto_replay_nacks: true,
      ignore_deletes: false,
      include_history: false,
      meta_only: false,
    })
    expect(defaultsOf(find('output', 'nats').spec.fields!)).toMatchObject({
      headers: {},
      metadata: { include_prefixes: [], include_patterns: [] },
      max_in_flight: 64,
    })
    expect(defaultsOf(find('output', 'nats_jetstream').spec.fields!)).toMatchObject({ max_in_flight: 1024 })
    expect(defaultsOf(find('output', 'nats_kv').spec.fields!)).toMatchObject({ max_in_flight: 1024 })
    const auth = find('input', 'nats').spec.fields!.find((f) => f.name === 'auth')!
    expect(auth.fields!.filter((f) => f.secret).map((f) => f.name)).toEqual(['user_jwt', 'user_nkey_seed'])
  })
})

const base: JetStreamInputConfig = {
  urls: ['nats://x'],
  tls: noTls,
  deliver: 'all',
  ack_wait: '30s',
  max_ack_pending: 1024,
}

describe('nats_jetstream settings', () => {
  test('field combinations Bento rejects', () => {
    expect(() => checkJetStreamInput(base)).toThrow('subject: subject is empty')
    expect(() => checkJetStreamInput({ ...base, bind: true })).toThrow(
      'stream or durable is required when bind is true',
    )
    expect(() => checkJetStreamInput({ ...base, bind: true, stream: 'S' })).toThrow(
      'durable is required when bind is true',
    )
    expect(() => checkJetStreamInput({ ...base, subject: 'a', ack_wait: 'soon' })).toThrow(
      'ack_wait: failed to parse duration',
    )
    expect(() => checkJetStreamInput({ ...base, subject: 'a', deliver: 'first' as 'all' })).toThrow(
      'deliver: "first" is not one of',
    )
    expect(() => checkJetStreamInput({ ...base, bind: true, stream: 'S', durable: 'd' })).not.toThrow()
  })

  test('the consumer it creates: durable (or the queue name), explicit acks, push to a deliver subject', () => {
    expect(
      consumerConfig({ ...base, subject: 'a.>', durable: 'd', deliver: 'last_per_subject' }, '_INBOX.x'),
    ).toEqual({
      ack_policy: 'explicit',
      deliver_policy: 'last_per_subject',
      replay_policy: 'instant',
      deliver_subject: '_INBOX.x',
      durable_name: 'd',
      filter_subject: 'a.>',
      ack_wait: 30_000_000_000,
      max_ack_pending: 1024,
    })
    const queued = consumerConfig(
      { ...base, subject: 'a', queue: 'workers', ack_wait: '', max_ack_pending: 0 },
      'i',
    )
    expect(queued.durable_name).toBe('workers')
    expect(queued.deliver_group).toBe('workers')
    expect(queued.ack_wait).toBeUndefined()
    expect(queued.max_ack_pending).toBeUndefined()
    expect(consumerConfig({ ...base, subject: 'a' }, 'i').durable_name).toBeUndefined()
  })
})

test('nats: a nack with nak_delay carries the delay in nanoseconds', () => {
  const d = new TextDecoder()
  expect(d.decode(nakPayload(0))).toBe('-NAK')
  expect(d.decode(nakPayload(1500))).toBe('-NAK {"delay": 1500000000}')
})

describe('nats_kv entries', () => {
  const entry = (operation: 'PUT' | 'DEL' | 'PURGE', reply?: string): KvEntry =>
    ({
      bucket: 'b',
      key: 'k.1',
      value: new TextEncoder().encode(operation === 'PUT' ? 'v' : ''),
      created: new Date(1_700_000_000_123),
      revision: 7,
      delta: 2,
      operation,
      length: 1,
      sm: { reply },
    }) as unknown as KvEntry

  test('metadata as Bento names and types it', () => {
    const m = entryMessage(entry('PUT', '$JS.ACK.KV_b.c.1.7.1.1700000000123456789.2')).metadata
    expect(m.get('nats_kv_key')).toBe('k.1')
    expect(m.get('nats_kv_bucket')).toBe('b')
    expect(m.get('nats_kv_revision')).toBe(7)
    expect(m.get('nats_kv_delta')).toBe(2)
    expect(m.get('nats_kv_operation')).toBe('KeyValuePutOp')
    const created = m.get('nats_kv_created') as Timestamp
    expect(created).toBeInstanceOf(Timestamp)
    expect([created.sec, created.nsec]).toEqual([1_700_000_000, 123_456_789])
    expect(entryMessage(entry('DEL')).metadata.get('nats_kv_operation')).toBe('KeyValueDeleteOp')
    expect(entryMessage(entry('PURGE')).metadata.get('nats_kv_operation')).toBe('KeyValuePurgeOp')
  })

  test('without an ack subject the created time comes from the client (milliseconds)', () => {
    const t = createdOf(entry('PUT'))
    expect([t.sec, t.nsec]).toEqual([1_700_000_000, 123_000_000])
  })
})

describe('config errors fail the stream at start, naming the config path', () => {
  const start = async (yaml: string) => {
    const env = standardEnvironment()
    register(env)
    return startStream(loadStreamConfig(yaml, env), env, { logger: silentLogger })
  }

  test('fields the components cannot use', async () => {
    await expect(
      start('input:\n  nats_jetstream:\n    urls: [ "nats://127.0.0.1:1" ]\noutput:\n  drop: {}'),
    ).rejects.toThrow('input.nats_jetstream.subject: subject is empty')
    await expect(
      start('input:\n  nats:\n    urls: [ " , " ]\n    subject: a\noutput:\n  drop: {}'),
    ).rejects.toThrow('input.nats.urls: at least one URL is required')
    await expect(
      start(
        'input:\n  nats:\n    urls: [ "nats://127.0.0.1:1" ]\n    subject: a\n    prefetch_count: -1\noutput:\n  drop: {}',
      ),
    ).rejects.toThrow('input.nats.prefetch_count: must be greater than or equal to zero (got -1)')
  })
})
