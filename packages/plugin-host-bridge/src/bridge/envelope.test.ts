import { Message } from '@bento-ts/core'
import { describe, expect, it } from 'vitest'
import { depthKey, depthOf, idKey, LoopGuard, sourceKey, stableId, stampOutgoing } from './envelope.ts'
import { defaultEvent, eventMapper, sourceTimestampMs } from './event.ts'

describe('stableId', () => {
  it('is the same for the same message, different for others', () => {
    const a = new Message('{"n":1}', [['x', 'y']])
    expect(stableId(a)).toBe(stableId(new Message('{"n":1}', [['x', 'y']])))
    expect(stableId(a)).not.toBe(stableId(new Message('{"n":2}', [['x', 'y']])))
  })
  it('uses the source identity when the input gives one, and keeps an existing id', () => {
    const k = (offset: string, body: string) =>
      new Message(body, [
        ['kafka_topic', 't'],
        ['kafka_partition', '0'],
        ['kafka_offset', offset],
      ])
    expect(stableId(k('5', 'a'))).toBe(stableId(k('5', 'b')))
    expect(stableId(k('5', 'a'))).not.toBe(stableId(k('6', 'a')))
    expect(stableId(new Message('x', [[idKey, 'given']]))).toBe('given')
  })
})

describe('propagation depth', () => {
  it('stamps id, source and depth + 1; stops past the limit', () => {
    const m = new Message('hello')
    expect(stampOutgoing(m, 'bento.input/in', 3)).toBe(1)
    expect(m.metaString(depthKey)).toBe('1')
    expect(m.metaString(sourceKey)).toBe('bento.input/in')
    expect(m.metaString(idKey)).toMatch(/^[0-9a-f]{32}$/)
    m.metadata.set(depthKey, '2')
    expect(stampOutgoing(m, 'other', 3)).toBe(3)
    expect(m.metaString(sourceKey)).toBe('bento.input/in')
    expect(stampOutgoing(m, 'other', 3)).toBeUndefined()
    expect(depthOf({ [depthKey]: 'junk' })).toBe(0)
  })

  it('logs a loop once, counts every stopped message', () => {
    const lines: string[] = []
    const logger = {
      warn: (msg: string, f?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(f)}`),
    } as never
    const guard = new LoopGuard(logger)
    for (let i = 0; i < 100; i++)
      guard.stop(new Message(`m${i}`, [[sourceKey, 'bento.input/a']]), 'topic t', 3)
    guard.stop(new Message('x', [[sourceKey, 'bento.input/b']]), 'topic t', 3)
    expect(guard.stopped).toBe(101)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain('bento.input/a → topic t')
  })
})

describe('connector events', () => {
  it('maps a message by default: stable id, headers, source timestamp', () => {
    const m = new Message('{}', [
      ['kafka_timestamp_unix_ms', '1700000000123'],
      ['h', 'v'],
    ])
    const e = defaultEvent(m, 'ingest', 0)
    expect(e).toMatchObject({ foreign_id: '', type: 'ingest', created_at: '2023-11-14T22:13:20.123Z' })
    expect(e.headers).toEqual({ kafka_timestamp_unix_ms: '1700000000123', h: 'v' })
    expect(e.id).toBe(stableId(m))
    expect(sourceTimestampMs(new Message('x'))).toBeUndefined()
    expect(defaultEvent(new Message('x'), 't', 5000).created_at).toBe('1970-01-01T00:00:05.000Z')
  })

  it('takes fields from the event mapping, defaults for the rest', () => {
    const map = eventMapper(
      'root.foreign_id = this.order_id\nroot.type = "order." + this.kind\nroot.created_at = this.ts',
    )
    const e = map(new Message('{"order_id":42,"kind":"paid","ts":1700000000}'), 'ingest', 0)
    expect(e.foreign_id).toBe('42')
    expect(e.type).toBe('order.paid')
    expect(e.created_at).toBe('2023-11-14T22:13:20.000Z')
    expect(e.id).toMatch(/^[0-9a-f]{32}$/)
    expect(() => eventMapper('root = ')).toThrow()
    expect(() => eventMapper('root = "x"')(new Message('{}'), 't', 0)).toThrow('must produce an object')
  })
})
