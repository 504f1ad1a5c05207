// Broker outage: a Redis server is stopped for 10 s while a redis_streams → redis_streams stream
// runs, then started again; the stream reconnects and every entry reaches the sink.
//
// The server is a private one of this test's own (a free port, its own data folder), so the
// shared server other packages' tests use is never restarted. It runs with an append-only file
// fsynced on every write, so it comes back with what it acknowledged, like a production server
// that persists. Entries keep being produced before, during (the producer retries) and after the
// outage, so the stream must both finish what was in flight and pick up new ones.
import { setTimeout as sleep } from 'node:timers/promises'
import { eventually, privateServer, type RestartableServer } from '@bento-ts/test-services'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runYaml, unique } from './helpers.ts'

const total = 40_000
const source = unique('outage-src')
const sink = unique('outage-sink')
let redis: Redis
let server: RestartableServer
let redisUrl: () => string

beforeAll(async () => {
  server = await privateServer('redis')
  redisUrl = () => server.env.REDIS_URL!
  redis = new Redis(redisUrl(), { protocol: 2, maxRetriesPerRequest: 3 })
  redis.on('error', () => {})
})
afterAll(async () => {
  redis.disconnect()
  await server.close()
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
    const before = await redis.xlen(sink)
    await server.stop()
    const stoppedAt = produced
    await sleep(10_000)
    await server.start()
    // Back with what it held when it stopped, so the outage really was mid-stream.
    expect(await redis.xlen(sink)).toBeGreaterThanOrEqual(before)
    expect(await redis.xlen(sink)).toBeLessThan(total)
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
  }
}, 300_000)
