// redis_streams against the real server: the output's entries, the input's messages and metadata,
// XACK only after delivery, and pending entries of a dead consumer taken over with XAUTOCLAIM.

import { eventually } from '@bento-ts/test-services'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { newCapture, redisUrl, runYaml, testClient, unique } from './helpers.ts'

let redis: Redis
const keys: string[] = []
const key = (what: string) => {
  const k = unique(what)
  keys.push(k)
  return k
}

beforeAll(() => {
  redis = testClient()
})
afterAll(async () => {
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
})

/** Fields of an entry as an object. */
const fieldsOf = (flat: string[]): Record<string, string> => {
  const out: Record<string, string> = {}
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!
  return out
}

describe('redis_streams output', () => {
  test('adds each message with its body and metadata, batches in one go, excludes prefixes', async () => {
    const stream = key('out')
    const run = await runYaml(`
input:
  generate:
    count: 6
    interval: ""
    mapping: |
      root = {"n": counter()}
      meta color = "blue"
      meta skip_me = "x"
      meta body = "loses to the body"
output:
  redis_streams:
    url: ${redisUrl()}
    stream: ${stream}
    body_key: payload
    metadata:
      exclude_prefixes: [skip_]
    batching:
      count: 2
`)
    await run.done
    const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][]
    expect(entries).toHaveLength(6)
    const fields = entries.map(([, f]) => fieldsOf(f))
    expect(fields.map((f) => JSON.parse(f.payload!).n)).toEqual([1, 2, 3, 4, 5, 6])
    for (const f of fields) {
      expect(f.color).toBe('blue')
      expect(f.body).toBe('loses to the body')
      expect(f.skip_me).toBeUndefined()
    }
  })

  test('the body wins over metadata of the same name; the stream name is interpolated; max_length caps', async () => {
    const a = key('out-a')
    const b = key('out-b')
    const run = await runYaml(`
input:
  generate:
    count: 300
    interval: ""
    mapping: |
      root = "m" + counter().string()
      meta body = "metadata"
      meta target = if counter() % 2 == 0 { "${a}" } else { "${b}" }
output:
  redis_streams:
    url: ${redisUrl()}
    stream: \${! @target }
    max_length: 10
`)
    await run.done
    const first = (await redis.xrange(a, '-', '+', 'COUNT', 1)) as [string, string[]][]
    expect(fieldsOf(first[0]![1]).body).toMatch(/^m\d+$/)
    // MAXLEN ~ trims whole macro nodes only: fewer than all 150, at least 10.
    const lengths = [await redis.xlen(a), await redis.xlen(b)]
    for (const n of lengths) {
      expect(n).toBeGreaterThanOrEqual(10)
      expect(n).toBeLessThanOrEqual(150)
    }
    const last = (await redis.xrevrange(b, '+', '-', 'COUNT', 1)) as [string, string[]][]
    expect(fieldsOf(last[0]![1]).body).toBe('m299')
  })
})

describe('redis_streams input', () => {
  test('gives the body as payload, every other field and redis_stream as metadata; acks after delivery', async () => {
    const stream = key('in')
    const group = 'g1'
    const ids: string[] = []
    for (let i = 0; i < 20; i++)
      ids.push((await redis.xadd(stream, '*', 'body', `hello ${i}`, 'kind', 'greeting', 'n', String(i)))!)
    await redis.xadd(stream, '*', 'not_the_body', 'skipped')
    let release!: () => void
    const capture = newCapture()
    capture.hold = new Promise<void>((r) => (release = r))
    const run = await runYaml(
      `
input:
  redis_streams:
    url: ${redisUrl()}
    streams: [${stream}]
    consumer_group: ${group}
    client_id: c1
    limit: 7
    commit_period: 100ms
output:
  capture: ${capture.name}
`,
    )
    // Messages in flight (the output holds them): read, so pending in the group, but not acked.
    await eventually(async () => {
      const [count] = (await redis.xpending(stream, group).catch(() => [0])) as [number]
      return count >= 20 ? true : undefined
    })
    await new Promise((r) => setTimeout(r, 300))
    expect(((await redis.xpending(stream, group)) as [number])[0]).toBeGreaterThanOrEqual(20)
    expect(capture.messages).toHaveLength(0)
    release()
    capture.hold = undefined
    await eventually(async () => (capture.messages.length >= 20 ? true : undefined))
    await eventually(
      async () => {
        const [count] = (await redis.xpending(stream, group)) as [number]
        return count === 0 ? true : undefined
      },
      { timeoutMs: 10_000, what: 'the group to have no pending entries' },
    )
    await run.stop(5000)
    expect(capture.messages.map((m) => m.text())).toEqual(ids.map((_, i) => `hello ${i}`))
    capture.messages.forEach((m, i) => {
      expect(m.metaString('redis_stream')).toBe(ids[i])
      expect(m.metaString('kind')).toBe('greeting')
      expect(m.metaString('n')).toBe(String(i))
      expect(m.metadata.has('body')).toBe(false)
    })
  })

  test('start_from_oldest false reads only entries added after the group was made', async () => {
    const stream = key('latest')
    await redis.xadd(stream, '*', 'body', 'old')
    const capture = newCapture()
    const run = await runYaml(
      `
input:
  redis_streams:
    url: ${redisUrl()}
    streams: [${stream}]
    consumer_group: g
    start_from_oldest: false
output:
  capture: ${capture.name}
`,
    )
    await eventually(async () => ((await redis.xinfo('GROUPS', stream)) as unknown[]).length > 0 || undefined)
    await redis.xadd(stream, '*', 'body', 'new')
    await eventually(async () => (capture.messages.length > 0 ? true : undefined))
    await run.stop(5000)
    expect(capture.messages.map((m) => m.text())).toEqual(['new'])
  })

  test('entries a dead consumer left pending are claimed with XAUTOCLAIM and delivered', async () => {
    const stream = key('claim')
    const group = 'workers'
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM')
    for (let i = 0; i < 30; i++) await redis.xadd(stream, '*', 'body', `job ${i}`)
    // A consumer reads 12 entries and dies without acknowledging them.
    await redis.xreadgroup('GROUP', group, 'dead', 'COUNT', 12, 'STREAMS', stream, '>')
    const before = (await redis.xpending(stream, group, '-', '+', 100, 'dead')) as unknown[]
    expect(before).toHaveLength(12)
    const capture = newCapture()
    const run = await runYaml(
      `
input:
  redis_streams:
    url: ${redisUrl()}
    streams: [${stream}]
    consumer_group: ${group}
    client_id: alive
    commit_period: 100ms
    claim_min_idle: 500ms
output:
  capture: ${capture.name}
`,
    )
    await eventually(async () => (capture.messages.length >= 30 ? true : undefined), {
      timeoutMs: 30_000,
      what: '30 messages',
    })
    await eventually(
      async () => {
        const [count] = (await redis.xpending(stream, group)) as [number]
        return count === 0 ? true : undefined
      },
      { timeoutMs: 10_000, what: 'no pending entries' },
    )
    await run.stop(5000)
    const texts = capture.messages.map((m) => m.text()).sort()
    expect(texts).toEqual(Array.from({ length: 30 }, (_, i) => `job ${i}`).sort())
    expect((await redis.xpending(stream, group, '-', '+', 100, 'dead')) as unknown[]).toHaveLength(0)
  })

  test('a restarted consumer first delivers its own entries left pending', async () => {
    const stream = key('own')
    const group = 'g'
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM')
    for (let i = 0; i < 10; i++) await redis.xadd(stream, '*', 'body', `e${i}`)
    // The same consumer name read 4 entries in an earlier life and never acked them.
    await redis.xreadgroup('GROUP', group, 'me', 'COUNT', 4, 'STREAMS', stream, '>')
    const capture = newCapture()
    const run = await runYaml(
      `
input:
  redis_streams:
    url: ${redisUrl()}
    streams: [${stream}]
    consumer_group: ${group}
    client_id: me
    claim_min_idle: ""
output:
  capture: ${capture.name}
`,
    )
    await eventually(async () => (capture.messages.length >= 10 ? true : undefined))
    await run.stop(5000)
    expect(capture.messages.map((m) => m.text())).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`))
    expect(((await redis.xpending(stream, group)) as [number])[0]).toBe(0)
  })

  test('a stream deleted under the consumer is made again with its group, and reading goes on', async () => {
    const stream = key('deleted')
    const capture = newCapture()
    const run = await runYaml(
      `
input:
  redis_streams:
    url: ${redisUrl()}
    streams: [${stream}]
    consumer_group: g
    commit_period: 100ms
    timeout: 100ms
output:
  capture: ${capture.name}
`,
    )
    await redis.xadd(stream, '*', 'body', 'before')
    await eventually(async () => (capture.messages.length === 1 ? true : undefined))
    await redis.del(stream)
    await redis.xadd(stream, '*', 'body', 'after')
    await eventually(async () => (capture.messages.length === 2 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the entry added after',
    })
    await run.stop(5000)
    expect(capture.messages.map((m) => m.text())).toEqual(['before', 'after'])
  })

  test('round trip: redis_streams → mapping → redis_streams keeps payloads and metadata', async () => {
    const source = key('rt-src')
    const sink = key('rt-sink')
    for (let i = 0; i < 50; i++)
      await redis.xadd(source, '*', 'body', JSON.stringify({ i }), 'origin', 'test')
    const run = await runYaml(`
input:
  redis_streams:
    url: ${redisUrl()}
    streams: [${source}]
    consumer_group: rt
    commit_period: 100ms
pipeline:
  processors:
    - mapping: |
        root.i = this.i
        root.doubled = this.i * 2
        meta source_id = @redis_stream
output:
  redis_streams:
    url: ${redisUrl()}
    stream: ${sink}
`)
    await eventually(async () => ((await redis.xlen(sink)) >= 50 ? true : undefined))
    await run.stop(5000)
    const sourceIds = ((await redis.xrange(source, '-', '+')) as [string, string[]][]).map(([id]) => id)
    const out = ((await redis.xrange(sink, '-', '+')) as [string, string[]][]).map(([, f]) => fieldsOf(f))
    expect(out.map((f) => JSON.parse(f.body!))).toEqual(
      Array.from({ length: 50 }, (_, i) => ({ i, doubled: i * 2 })),
    )
    expect(out.map((f) => f.source_id)).toEqual(sourceIds)
    expect(out.map((f) => f.redis_stream)).toEqual(sourceIds)
    expect(out.every((f) => f.origin === 'test')).toBe(true)
  })
})
