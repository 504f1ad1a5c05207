// At least once under SIGKILL: a child process runs redis_streams → mapping → redis_streams over
// pre-loaded entries; it is killed at three random points and started again. Every entry
// must reach the sink; duplicates (entries delivered but not yet XACKed at a kill) are counted
// and must stay within the in-flight window.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCrashTest, runStreamArgs, runStreamScript } from '@bento-ts/test-services'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { redisUrl, testClient, unique } from './helpers.ts'

const limit = 100
const maxInFlight = 64
const batchCount = 20
const ackBatch = 1024
// Sized by what it proves: kills land between 10 % and 90 % of the total, so ten in-flight windows
// put a full window behind even the earliest kill (a bigger round number proves nothing more).
// The window: the read buffer, the batches in flight and an XACK round.
const total = 10 * (limit + maxInFlight * batchCount + ackBatch)

let redis: Redis
let work: string
const source = unique('crash-src')
const sink = unique('crash-sink')

beforeAll(() => {
  redis = testClient()
  work = mkdtempSync(join(tmpdir(), 'redis-crash-'))
})
afterAll(async () => {
  await redis.del(source, sink)
  redis.disconnect()
  rmSync(work, { recursive: true, force: true })
})

const idOf = (i: number) => `m${i}`

/** Reads every entry's `id` field from the sink, in pages. */
async function sinkIds(): Promise<string[]> {
  const ids: string[] = []
  let start = '-'
  for (;;) {
    const page = (await redis.xrange(sink, start, '+', 'COUNT', 10_000)) as [string, string[]][]
    for (const [, fields] of page) {
      const at = fields.indexOf('id')
      ids.push(at >= 0 ? fields[at + 1]! : '?')
    }
    if (page.length < 10_000) return ids
    start = `(${page.at(-1)![0]}`
  }
}

test(`redis_streams → mapping → redis_streams loses nothing over ${total} entries and 3 SIGKILLs`, async () => {
  const body = 'x'.repeat(200)
  for (let from = 0; from < total; from += 5000) {
    const pipeline = redis.pipeline()
    for (let i = from; i < Math.min(total, from + 5000); i++)
      pipeline.xadd(source, '*', 'body', JSON.stringify({ id: idOf(i), body }))
    await pipeline.exec()
  }
  expect(await redis.xlen(source)).toBe(total)
  const config = join(work, 'crash.yaml')
  writeFileSync(
    config,
    `
http:
  enabled: false
logger:
  level: WARN
input:
  redis_streams:
    url: ${redisUrl()}
    streams: [${source}]
    consumer_group: crash
    client_id: worker
    limit: ${limit}
    commit_period: 200ms
pipeline:
  processors:
    - mapping: |
        root = this
        root.processed = true
        meta id = this.id
output:
  redis_streams:
    url: ${redisUrl()}
    stream: ${sink}
    max_in_flight: ${maxInFlight}
    batching:
      count: ${batchCount}
      period: 50ms
`,
  )
  const result = await runCrashTest({
    script: runStreamScript,
    args: await runStreamArgs(import.meta.url, config),
    total,
    delivered: () => redis.xlen(sink),
    collect: sinkIds,
    idOf,
    timeoutMs: 280_000,
  })
  console.log(
    `redis_streams crash test: ${result.total} entries, ${result.received} received, ${result.distinct} distinct, ` +
      `lost ${result.lost}, duplicates ${result.duplicates}, killed at ${result.killedAt.join(', ')} delivered`,
  )
  expect(result.killedAt).toHaveLength(3)
  expect(result.missing, result.log.slice(-3000)).toEqual([])
  expect(result.lost).toBe(0)
  // At a kill, what can be redelivered is what was read and not yet XACKed: the entries acked
  // since the last XACK round (flushed at ackBatch, two rounds at most under way), the
  // batches in flight in the output, and the read buffer.
  const window = 2 * ackBatch + maxInFlight * batchCount + limit + 1000
  expect(result.duplicates).toBeLessThanOrEqual(3 * window)
}, 300_000)
