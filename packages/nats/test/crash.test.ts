// At-least-once under crashes: a child process runs nats_jetstream (durable) → mapping →
// nats_jetstream over pre-published messages and is SIGKILLed three times. Every message must reach the
// sink stream; duplicates are counted and bounded by what can be unacked at a kill
// (max_ack_pending per kill).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCrashTest, runStreamArgs, runStreamScript } from '@bento-ts/test-services'
import type { JetStreamManager, NatsConnection } from 'nats'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { client, natsUrl, unique } from './helpers.ts'
import { fillStream, readIds } from './streams.ts'

const maxAckPending = 1024
// Sized by what it proves: kills land between 10 % and 90 % of the total, so ten in-flight windows
// put a full window behind even the earliest kill (a bigger round number proves nothing more).
// The window: max_ack_pending.
const total = 10 * maxAckPending
const kills = 3

let nc: NatsConnection
let jsm: JetStreamManager
const names: string[] = []
let dir: string

beforeAll(async () => {
  nc = await client()
  jsm = await nc.jetstreamManager()
  dir = mkdtempSync(join(tmpdir(), 'nats-crash-'))
})
afterAll(async () => {
  for (const s of names) await jsm.streams.delete(s).catch(() => {})
  await nc.close()
  rmSync(dir, { recursive: true, force: true })
})

test('nats_jetstream → mapping → nats_jetstream loses nothing across three SIGKILLs', {
  timeout: 600_000,
}, async () => {
  const source = unique('CRASHIN')
  const sink = unique('CRASHOUT')
  names.push(source, sink)
  await jsm.streams.add({ name: source, subjects: [`${source}.>`] })
  await jsm.streams.add({ name: sink, subjects: [`${sink}.>`] })
  await fillStream(nc, `${source}.in`, total, (i) => JSON.stringify({ id: `m${i}`, n: i }))
  expect((await jsm.streams.info(source)).state.messages).toBe(total)

  const config = join(dir, 'crash.yaml')
  writeFileSync(
    config,
    `
input:
  nats_jetstream:
    urls: [ "${natsUrl()}" ]
    subject: ${source}.>
    durable: crash
    ack_wait: 5s
    max_ack_pending: ${maxAckPending}
pipeline:
  processors:
    - mapping: |
        root.id = this.id
        root.square = this.n * this.n
output:
  nats_jetstream:
    urls: [ "${natsUrl()}" ]
    subject: ${sink}.out
logger:
  level: WARN
shutdown_timeout: 5s
`,
  )
  const result = await runCrashTest({
    script: runStreamScript,
    args: await runStreamArgs(import.meta.url, config),
    total,
    kills,
    timeoutMs: 480_000,
    delivered: async () => (await jsm.streams.info(sink)).state.messages,
    collect: () => readIds(nc, sink),
    idOf: (i) => `m${i}`,
  })
  console.log(
    `nats crash test: ${result.total} messages, ${result.received} received, ${result.distinct} distinct, ` +
      `lost ${result.lost}, duplicates ${result.duplicates} (bound ${kills * maxAckPending}), killed at ${result.killedAt.join(', ')}`,
  )
  expect(result.lost, `missing: ${result.missing.join(', ')}\n${result.log.slice(-4000)}`).toBe(0)
  expect(result.killedAt.length).toBe(kills)
  expect(result.duplicates).toBeLessThanOrEqual(kills * maxAckPending)
})
