import { describe, expect, test } from 'vitest'
import { type Delivery, timestampSeconds, toMessage } from './delivery.ts'

const delivery = (over: Partial<Delivery> = {}): Delivery => ({
  data: new TextEncoder().encode('{"a":1}'),
  attributes: { origin: 'test', gcp_pubsub_message_id: 'spoofed' },
  id: '42',
  publishTimeUnix: 1_700_000_000,
  orderingKey: '',
  deliveryAttempt: 0,
  size: 7,
  ack: () => {},
  nack: () => {},
  ...over,
})

describe('toMessage', () => {
  test('payload, attributes and Bento metadata keys', () => {
    const m = toMessage(delivery())
    expect(m.text()).toBe('{"a":1}')
    expect(Object.fromEntries(m.metadata)).toEqual({
      origin: 'test',
      gcp_pubsub_message_id: '42',
      gcp_pubsub_publish_time_unix: 1_700_000_000,
    })
  })

  test('delivery attempt and ordering key only when Pub/Sub gave them', () => {
    const m = toMessage(delivery({ deliveryAttempt: 3, orderingKey: 'customer-7' }))
    expect(m.metadata.get('gcp_pubsub_delivery_attempt')).toBe(3)
    expect(m.metadata.get('gcp_pubsub_ordering_key')).toBe('customer-7')
  })
})

describe('timestampSeconds', () => {
  test('reads every form protobuf gives seconds in', () => {
    expect(timestampSeconds(12)).toBe(12)
    expect(timestampSeconds('1700000000')).toBe(1_700_000_000)
    expect(timestampSeconds({ toNumber: () => 5 })).toBe(5)
    expect(timestampSeconds(null)).toBe(0)
    expect(timestampSeconds(undefined)).toBe(0)
  })
})
