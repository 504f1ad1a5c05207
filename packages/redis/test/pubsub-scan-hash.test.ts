// redis_pubsub (channels and patterns, both ways), redis_scan and redis_hash against the real server.

import { eventually } from '@bento-ts/test-services'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { newCapture, redisUrl, runYaml, testClient, unique } from './helpers.ts'

let redis: Redis
const keys: string[] = []

beforeAll(() => {
  redis = testClient()
})
afterAll(async () => {
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
})

describe('redis_pubsub', () => {
  test('SUBSCRIBE input receives what the output publishes to an interpolated channel', async () => {
    const channel = unique('chan')
    const capture = newCapture()
    const sub = await runYaml(
      `
input:
  redis_pubsub:
    url: ${redisUrl()}
    channels: [${channel}]
output:
  capture: ${capture.name}
`,
    )
    await eventually(async () => {
      const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number]
      return count > 0 ? true : undefined
    })
    const pub = await runYaml(`
input:
  generate:
    count: 10
    interval: ""
    mapping: |
      root = "msg " + counter().string()
      meta target = if counter() % 2 == 0 { "${channel}" } else { "${channel}-other" }
output:
  redis_pubsub:
    url: ${redisUrl()}
    channel: \${! @target }
    batching:
      count: 5
`)
    await pub.done
    await eventually(async () => (capture.messages.length >= 5 ? true : undefined))
    await sub.stop(5000)
    expect(capture.messages.map((m) => m.text())).toEqual(['msg 2', 'msg 4', 'msg 6', 'msg 8', 'msg 10'])
  })

  test('PSUBSCRIBE with use_patterns receives every matching channel', async () => {
    const base = unique('pat')
    const capture = newCapture()
    const sub = await runYaml(
      `
input:
  redis_pubsub:
    url: ${redisUrl()}
    channels: ["${base}.*"]
    use_patterns: true
output:
  capture: ${capture.name}
`,
    )
    await eventually(async () => (Number(await redis.pubsub('NUMPAT')) > 0 ? true : undefined))
    await redis.publish(`${base}.a`, 'one')
    await redis.publish(`${base}-nope`, 'skipped')
    await redis.publish(`${base}.b`, 'two')
    await eventually(async () => (capture.messages.length >= 2 ? true : undefined))
    await sub.stop(5000)
    expect(capture.messages.map((m) => m.text())).toEqual(['one', 'two'])
  })
})

describe('redis_scan', () => {
  test('gives every matching string key as {key, value} with the key as metadata, then ends', async () => {
    const prefix = unique('scan')
    const expected: Record<string, string> = {}
    for (let i = 0; i < 250; i++) {
      expected[`${prefix}:${i}`] = `value ${i}`
      keys.push(`${prefix}:${i}`)
    }
    await redis.mset(expected)
    await redis.hset(`${prefix}:a-hash`, 'f', 'v')
    keys.push(`${prefix}:a-hash`)
    await redis.set(`${unique('other')}`, 'not matched', 'EX', 60)
    const capture = newCapture()
    const run = await runYaml(
      `
input:
  redis_scan:
    url: ${redisUrl()}
    match: "${prefix}:*"
output:
  capture: ${capture.name}
`,
    )
    await run.done
    const got: Record<string, string> = {}
    for (const m of capture.messages) {
      const { key, value } = m.structured() as { key: string; value: string }
      expect(m.metaString('redis_key')).toBe(key)
      got[key] = value
    }
    expect(capture.messages).toHaveLength(250)
    expect(got).toEqual(expected)
  })
})

describe('redis_hash', () => {
  test('sets metadata, then JSON members, then explicit fields, later ones winning', async () => {
    const prefix = unique('hash')
    const run = await runYaml(`
input:
  generate:
    count: 3
    interval: ""
    mapping: |
      root = {"id": counter(), "name": "n" + counter().string(), "ok": true, "nested": {"a": [1, 2]}, "source": "json"}
      meta source = "metadata"
      meta topic = "orders"
output:
  redis_hash:
    url: ${redisUrl()}
    key: ${prefix}:\${! this.id }
    walk_metadata: true
    walk_json_object: true
    fields:
      name: \${! this.name.uppercase() }
      extra: fixed
`)
    await run.done
    for (let i = 1; i <= 3; i++) {
      keys.push(`${prefix}:${i}`)
      expect(await redis.hgetall(`${prefix}:${i}`)).toEqual({
        id: String(i),
        name: `N${i}`,
        ok: '1',
        nested: '{"a":[1,2]}',
        source: 'json',
        topic: 'orders',
        extra: 'fixed',
      })
    }
  })

  test('refuses a config that sets no fields', async () => {
    await expect(
      runYaml(`
input:
  generate:
    count: 1
    mapping: root = {}
output:
  redis_hash:
    url: ${redisUrl()}
    key: k
`),
    ).rejects.toThrow(/at least one mechanism for setting fields must be enabled/)
  })
})
