import { describe, expect, test } from 'vitest'
import { ackTimestampNanos, setAckMetadata } from './ack-subject.ts'

describe('setAckMetadata', () => {
  test('reads the old form: stream, consumer, delivered, sequences, time, pending', () => {
    const m = new Map<string, unknown>()
    expect(setAckMetadata(m, '$JS.ACK.ORDERS.reader.2.1045.17.1700000000123456789.42')).toBe(true)
    expect(Object.fromEntries(m)).toEqual({
      nats_sequence_stream: '1045',
      nats_sequence_consumer: '17',
      nats_num_delivered: '2',
      nats_num_pending: '42',
      nats_domain: '',
      nats_timestamp_unix_nano: '1700000000123456789',
    })
  })

  test('reads the new form with a domain and account hash in front and a token behind', () => {
    const m = new Map<string, unknown>()
    expect(setAckMetadata(m, '$JS.ACK.hub.ACCHASH.ORDERS.reader.1.7.3.1700000000000000001.0.XYZ')).toBe(true)
    expect(m.get('nats_domain')).toBe('hub')
    expect(m.get('nats_sequence_stream')).toBe('7')
    expect(m.get('nats_sequence_consumer')).toBe('3')
    expect(m.get('nats_num_delivered')).toBe('1')
    expect(m.get('nats_num_pending')).toBe('0')
    expect(m.get('nats_timestamp_unix_nano')).toBe('1700000000000000001')
  })

  test('the empty domain `_` reads as ""', () => {
    const m = new Map<string, unknown>()
    setAckMetadata(m, '$JS.ACK._.ACCHASH.S.c.1.1.1.5.0.tok')
    expect(m.get('nats_domain')).toBe('')
  })

  test('any other subject sets nothing', () => {
    const m = new Map<string, unknown>()
    expect(setAckMetadata(m, '_INBOX.abc.def')).toBe(false)
    expect(setAckMetadata(m, undefined)).toBe(false)
    expect(setAckMetadata(m, '$JS.ACK.too.short')).toBe(false)
    expect(m.size).toBe(0)
  })
})

test('ackTimestampNanos keeps every digit', () => {
  expect(ackTimestampNanos('$JS.ACK.S.c.1.1.1.1700000000123456789.0')).toBe(1700000000123456789n)
  expect(ackTimestampNanos('$JS.ACK.d.h.S.c.1.1.1.1700000000123456789.0.t')).toBe(1700000000123456789n)
  expect(ackTimestampNanos('nope')).toBeUndefined()
})
