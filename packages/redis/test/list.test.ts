// redis_list against the real server: pushes (rpush/lpush, interpolated keys, batches), reliable
// pops through the processing list, and the items a crashed run left there delivered again.

import { eventually } from '@bento-ts/test-services'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { newCapture, redisUrl, runYaml, testClient, unique } from './helpers.ts'

let redis: Redis
const keys: string[] = []
const key = (what: string) => {
  const k = unique(what)
  keys.push(k, `${k}:processing`)
  return k
}

beforeAll(() => {
  redis = testClient()
})
afterAll(async () => {
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
})

describe('redis_list output', () => {
  test('rpush appends in order, per interpolated key, in batches', async () => {
    const even = key('even')
    const odd = key('odd')
    const run = await runYaml(`
input:
  generate:
    count: 20
    interval: ""
    mapping: |
      root = "item " + counter().string()
      meta list = if counter() % 2 == 0 { "${even}" } else { "${odd}" }
output:
  redis_list:
    url: ${redisUrl()}
    key: \${! @list }
    batching:
      count: 5
`)
    await run.done
    expect(await redis.lrange(even, 0, -1)).toEqual(Array.from({ length: 10 }, (_, i) => `item ${2 * i + 2}`))
    expect(await redis.lrange(odd, 0, -1)).toEqual(Array.from({ length: 10 }, (_, i) => `item ${2 * i + 1}`))
  })

  test('lpush prepends', async () => {
    const list = key('lpush')
    const run = await runYaml(`
input:
  generate:
    count: 3
    interval: ""
    mapping: root = counter().string()
output:
  redis_list:
    url: ${redisUrl()}
    key: ${list}
    command: lpush
    max_in_flight: 1
`)
    await run.done
    expect(await redis.lrange(list, 0, -1)).toEqual(['3', '2', '1'])
  })
})

describe('redis_list input', () => {
  test('pops in order through the processing list and removes each item once delivered', async () => {
    const list = key('in')
    const processing = `${list}:processing`
    await redis.rpush(list, ...Array.from({ length: 8 }, (_, i) => `v${i}`))
    let release!: () => void
    const capture = newCapture()
    capture.hold = new Promise<void>((r) => (release = r))
    const run = await runYaml(
      `
input:
  redis_list:
    url: ${redisUrl()}
    key: ${list}
    max_in_flight: 3
    timeout: 200ms
output:
  capture: ${capture.name}
`,
    )
    // Three in flight (max_in_flight), held by the output: moved to the processing list, not gone.
    await eventually(async () => ((await redis.llen(processing)) === 3 ? true : undefined))
    expect(await redis.lrange(processing, 0, -1)).toEqual(['v0', 'v1', 'v2'])
    expect(await redis.llen(list)).toBe(5)
    release()
    capture.hold = undefined
    await eventually(async () => (capture.messages.length === 8 ? true : undefined))
    await eventually(async () => ((await redis.llen(processing)) === 0 ? true : undefined))
    await run.stop(5000)
    expect(capture.messages.map((m) => m.text())).toEqual(Array.from({ length: 8 }, (_, i) => `v${i}`))
    expect(await redis.llen(list)).toBe(0)
  })

  test('brpop takes from the tail', async () => {
    const list = key('tail')
    await redis.rpush(list, 'a', 'b', 'c')
    const capture = newCapture()
    const run = await runYaml(
      `
input:
  redis_list:
    url: ${redisUrl()}
    key: ${list}
    command: brpop
    max_in_flight: 1
    timeout: 200ms
output:
  capture: ${capture.name}
`,
    )
    await eventually(async () => (capture.messages.length === 3 ? true : undefined))
    await run.stop(5000)
    expect(capture.messages.map((m) => m.text())).toEqual(['c', 'b', 'a'])
  })

  test('items a crashed run left in the processing list are delivered again, first', async () => {
    const list = key('leftover')
    const processing = key('custom-processing')
    await redis.rpush(list, 'new1', 'new2')
    // What a run that died mid-flight leaves: popped items parked in its processing list.
    await redis.rpush(processing, 'old1', 'old2', 'old3')
    const capture = newCapture()
    const run = await runYaml(
      `
input:
  redis_list:
    url: ${redisUrl()}
    key: ${list}
    processing_key: ${processing}
    max_in_flight: 1
    timeout: 200ms
output:
  capture: ${capture.name}
`,
    )
    await eventually(async () => (capture.messages.length === 5 ? true : undefined))
    await eventually(async () => ((await redis.llen(processing)) === 0 ? true : undefined))
    await run.stop(5000)
    expect(capture.messages.map((m) => m.text())).toEqual(['old1', 'old2', 'old3', 'new1', 'new2'])
    expect(await redis.llen(list)).toBe(0)
  })

  test('round trip: redis_list → redis_list', async () => {
    const source = key('rt-src')
    const sink = key('rt-sink')
    await redis.rpush(source, ...Array.from({ length: 100 }, (_, i) => JSON.stringify({ i })))
    const run = await runYaml(`
input:
  redis_list:
    url: ${redisUrl()}
    key: ${source}
    timeout: 200ms
pipeline:
  processors:
    - mapping: root.j = this.i + 1
output:
  redis_list:
    url: ${redisUrl()}
    key: ${sink}
`)
    await eventually(async () => ((await redis.llen(sink)) === 100 ? true : undefined))
    await run.stop(5000)
    const out = (await redis.lrange(sink, 0, -1)).map((t) => JSON.parse(t).j as number).sort((a, b) => a - b)
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    expect(await redis.llen(`${source}:processing`)).toBe(0)
  })
})
