import { createEnvironment, FieldError, Message, parseComponentValue } from '@bento-ts/core'
import { BatchView, interpolation, metadataExcludeFilter } from '@bento-ts/core/kit'
import { describe, expect, test } from 'vitest'
import { register } from './index.ts'
import { checkInputConfig, type InputConfig } from './input.ts'
import { messageSize, type OutputConfig, prepare, publishOptions } from './output.ts'

const env = register(createEnvironment())

function parsed<T>(kind: 'input' | 'output', value: Record<string, unknown>): T {
  const { component, problems } = parseComponentValue(kind, { gcp_pubsub: value }, env, kind)
  expect(problems).toEqual([])
  return component!.config as T
}

describe('gcp_pubsub input config', () => {
  test("Bento's defaults", () => {
    const c = parsed<InputConfig>('input', { project: 'p', subscription: 's' })
    expect(c).toEqual({
      project: 'p',
      subscription: 's',
      endpoint: '',
      sync: false,
      max_outstanding_messages: 1000,
      max_outstanding_bytes: 1_000_000_000,
      create_subscription: { enabled: false, topic: '' },
    })
  })

  test('project and subscription are required', () => {
    const { problems } = parseComponentValue('input', { gcp_pubsub: {} }, env, 'input')
    expect(problems.map((p) => p.message).join('\n')).toMatch(/project[\s\S]*subscription/)
  })

  test('create_subscription needs a topic', () => {
    const c = parsed<InputConfig>('input', {
      project: 'p',
      subscription: 's',
      create_subscription: { enabled: true },
    })
    expect(() => checkInputConfig(c)).toThrow(FieldError)
    expect(() => checkInputConfig(c)).toThrow(
      'create_subscription.topic: must be set when create_subscription.enabled is true',
    )
  })

  test("Bento's tracing fields are accepted", () => {
    parsed('input', {
      project: 'p',
      subscription: 's',
      extract_tracing_map: 'root = {}',
      new_root_span_with_link: true,
    })
  })
})

describe('gcp_pubsub output config', () => {
  const defaults = () => parsed<OutputConfig>('output', { project: 'p', topic: 't' })

  test("Bento's defaults", () => {
    const c = defaults()
    expect(c).toMatchObject({
      endpoint: '',
      max_in_flight: 64,
      count_threshold: 100,
      delay_threshold: '10ms',
      byte_threshold: 1_000_000,
      publish_timeout: '1m0s',
      metadata: { exclude_prefixes: [] },
      flow_control: {
        max_outstanding_bytes: -1,
        max_outstanding_messages: 1000,
        limit_exceeded_behavior: 'block',
      },
    })
    expect(c.ordering_key).toBeUndefined()
  })

  test('publish settings of the client', () => {
    expect(publishOptions(defaults())).toEqual({
      batching: { maxMessages: 100, maxBytes: 1_000_000, maxMilliseconds: 10 },
      gaxOpts: { timeout: 60_000 },
      messageOrdering: false,
    })
    const ordered = parsed<OutputConfig>('output', {
      project: 'p',
      topic: 't',
      ordering_key: '${! meta("k") }',
      count_threshold: 0,
      publish_timeout: '5s',
    })
    expect(publishOptions(ordered)).toMatchObject({
      batching: { maxMessages: 100 },
      gaxOpts: { timeout: 5000 },
      messageOrdering: true,
    })
  })

  test('an unknown limit_exceeded_behavior is refused', () => {
    const { problems } = parseComponentValue(
      'output',
      { gcp_pubsub: { project: 'p', topic: 't', flow_control: { limit_exceeded_behavior: 'drop' } } },
      env,
      'output',
    )
    expect(problems.length).toBeGreaterThan(0)
  })
})

describe('prepare', () => {
  const topic = interpolation('topic', '${! meta("dest") }')
  const key = interpolation('ordering_key', '${! json("user") }')
  const filter = metadataExcludeFilter({ exclude_prefixes: ['kafka_'] })

  test('topic, ordering key and attributes per message', () => {
    const m = new Message('{"user":"u1"}', [
      ['dest', 'orders'],
      ['kafka_key', 'dropped'],
      ['count', 3],
    ])
    const p = prepare(m, new BatchView([m]), 0, topic, key, filter)
    expect(p.topic).toBe('orders')
    expect(p.orderingKey).toBe('u1')
    expect(p.attributes).toEqual({ dest: 'orders', count: '3' })
    expect(p.data.toString()).toBe('{"user":"u1"}')
  })

  test('a failed interpolation names the field', () => {
    const m = new Message('not json', [['dest', 'x']])
    expect(() => prepare(m, new BatchView([m]), 0, topic, key, filter)).toThrow(
      /^ordering_key interpolation error: /,
    )
  })

  test('an empty message without attributes is refused before it reaches Pub/Sub', () => {
    const m = new Message('')
    const fixed = interpolation('topic', 't')
    expect(() => prepare(m, new BatchView([m]), 0, fixed, undefined, filter)).toThrow(
      /empty payload and no attributes/,
    )
  })

  test('messageSize counts payload, attributes and key', () => {
    expect(messageSize(new Uint8Array(10), { ab: 'cde' }, 'k')).toBe(16)
  })
})
