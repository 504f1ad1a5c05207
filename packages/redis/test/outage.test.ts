// Broker outage: the Redis server is stopped for 10 s while a redis_streams → redis_streams stream
// runs, then started again; the stream reconnects and every entry reaches the sink.
//
// The test server runs without persistence (`--save ''`), so a plain restart would come back
// empty and prove nothing. Before stopping it we turn on a save point (CONFIG SET save): on
// SIGTERM Redis then writes its data to an RDB file and loads it on start, like a production
// server that persists. Entries keep being produced before, during (the producer retries) and
// after the outage, so the stream must both finish what was in flight and pick up new ones.
// Afterwards the dump file is removed so later restarts come back empty as usual.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { eventually, startService, stopService } from '@bento-ts/test-services'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { redisUrl, runYaml, testClient, unique } from './helpers.ts'

const total = 40_000
const source = unique('outage-src')
const sink = unique('outage-sink')
let redis: Redis

beforeAll(() => {
  redis = testClient()
})
afterAll(async () => {
  await redis.del(source, sink).catch(() => {})
  redis.disconnect()
})

const idOf = (i: number) => `m${i}`

async function distinctInSink(): Promise<{ received: number; distinct: Set<string> }> {
  const distinct = new Set<string>()
  let received = 0
  let start = '-'
  for (;;) {
    const page = (await redis.xrange(sink, start, '+', 'COUNT', 10_000)) as [string, string[]][]
    for (const [, fields] of page) {
      received++
      distinct.add(fields[fields.indexOf('id') + 1]!)
    }
    if (page.length < 10_000) return { received, distinct }
    start = `(${page.at(-1)![0]}`
  }
}

test('redis_streams reconnects after the server was down for 10 s and loses nothing', async () => {
  const [, dir] = (await redis.config('GET', 'dir')) as [string, string]
  const [, dbfilename] = (await redis.config('GET', 'dbfilename')) as [string, string]
  const stream = await runYaml(`
input:
  redis_streams:
    url: ${redisUrl()}
    streams: [${source}]
    consumer_group: outage
    client_id: worker
    commit_period: 100ms
pipeline:
  processors:
    - mapping: |
        root = this
        meta id = this.id
output:
  redis_streams:
    url: ${redisUrl()}
    stream: ${sink}
    batching:
      count: 10
      period: 20ms
`)
  // The producer: 100 entries every 50 ms; a failed batch is sent again until it goes through.
  let produced = 0
  const producing = (async () => {
    const body = 'y'.repeat(1000)
    while (produced < total) {
      const pipeline = redis.pipeline()
      for (let i = produced; i < produced + 100; i++)
        pipeline.xadd(source, '*', 'body', JSON.stringify({ id: idOf(i), body }))
      const results = await pipeline.exec().catch(() => null)
      if (results?.every(([err]) => err === null)) produced += 100
      await sleep(50)
    }
  })()
  try {
    await eventually(async () => ((await redis.xlen(sink)) >= 5000 ? true : undefined), {
      timeoutMs: 60_000,
      what: '5000 in the sink',
    })
    await redis.config('SET', 'save', '3600 1')
    const before = await redis.xlen(sink)
    await stopService('redis')
    const stoppedAt = produced
    await sleep(10_000)
    await startService('redis')
    // Back with what it held when it stopped, so the outage really was mid-stream.
    expect(await redis.xlen(sink)).toBeGreaterThanOrEqual(before)
    expect(await redis.xlen(sink)).toBeLessThan(total)
    // The restarted server has no save point again; its dump must not outlive this test.
    rmSync(join(dir, dbfilename), { force: true })
    await producing
    expect(produced).toBeGreaterThan(stoppedAt)
    const done = await eventually(
      async () => {
        if ((await redis.xlen(sink)) < total) return undefined
        const seen = await distinctInSink()
        return seen.distinct.size >= total ? seen : undefined
      },
      { timeoutMs: 120_000, what: `all ${total} entries in the sink` },
    )
    const missing = Array.from({ length: total }, (_, i) => idOf(i)).filter((id) => !done.distinct.has(id))
    console.log(
      `redis outage: ${total} entries, ${done.received} received, lost ${missing.length}, duplicates ${done.received - done.distinct.size}`,
    )
    expect(missing).toEqual([])
  } finally {
    await stream.stop(10_000)
    await startService('redis')
    await redis.config('SET', 'save', '').catch(() => {})
    rmSync(join(dir, dbfilename), { force: true })
  }
}, 300_000)
