// At least once through crashes: a child process runs gcp_pubsub → mapping → gcp_pubsub while we
// SIGKILL it three times at random points and start it again. Every message pre-published to the
// source must reach the sink topic (lost = 0); messages the killed process had published but not
// yet acknowledged come back from the source and are published again (the duplicates).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCrashTest, runStreamArgs, runStreamScript } from '@bento-ts/test-services'
import type { PubSub, Message as PubSubMessage } from '@google-cloud/pubsub'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { adminClient, emulator, idOf, type Pair, topicAndSubscription } from './helpers.ts'

const kills = 3
const maxOutstanding = 1000
// Sized by what it proves: kills land between 10 % and 90 % of the total, so ten in-flight windows
// put a full window behind even the earliest kill (a bigger round number proves nothing more).
// The window: max_outstanding_messages.
const total = 10 * maxOutstanding

const { host, project } = emulator()
let admin: PubSub
let dir: string

beforeAll(() => {
  admin = adminClient()
  dir = mkdtempSync(join(tmpdir(), 'gcp-pubsub-crash-'))
})

afterAll(async () => {
  await admin?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/**
 * How many duplicates a run may have. Unary pulls (`sync: true`) lease only what fits in
 * max_outstanding_messages, so a kill can duplicate at most that many (twice over, for slack).
 * The streaming pull is bounded the same way on the real service, which honours the stream's
 * flow control; the emulator does not: it sends far past the window, the messages wait in the
 * client's transport buffers past their 10 s ack deadline, are redelivered, and the late copies
 * are processed too. There the duplicates measure the emulator, so only "fewer than one extra
 * copy per message" is asserted.
 */
const duplicateBound = { sync: kills * maxOutstanding * 2, streaming: total } as const

describe.each(['streaming', 'sync'] as const)('%s pull', (mode) => {
  let source: Pair
  let sink: Pair

  beforeAll(async () => {
    source = await topicAndSubscription(admin, `crash-${mode}-src`)
    sink = await topicAndSubscription(admin, `crash-${mode}-dst`)
  })

  afterAll(async () => {
    await source?.delete()
    await sink?.delete()
  })

  test(`no message lost across ${kills} SIGKILLs (${total} messages)`, async () => {
    const publisher = admin.topic(source.topic.name, { batching: { maxMessages: 1000, maxMilliseconds: 10 } })
    const started = performance.now()
    for (let from = 0; from < total; from += 5000) {
      const sends: Promise<string>[] = []
      for (let i = from; i < Math.min(total, from + 5000); i++)
        sends.push(publisher.publishMessage({ data: Buffer.from(JSON.stringify({ id: i })) }))
      await Promise.all(sends)
    }
    console.log(`pre-published ${total} messages in ${Math.round(performance.now() - started)} ms`)

    const config = join(dir, `${mode}.yaml`)
    writeFileSync(
      config,
      `
logger:
  level: WARN
input:
  gcp_pubsub:
    project: ${project}
    subscription: ${idOf(source.subscription)}
    max_outstanding_messages: ${maxOutstanding}
    sync: ${mode === 'sync'}
pipeline:
  processors:
    - mapping: |
        root = this
        root.hop = "bento-ts"
output:
  gcp_pubsub:
    project: ${project}
    topic: ${idOf(sink.topic)}
`,
    )

    // The sink reader keeps one entry per message published to the sink topic. A message Pub/Sub
    // redelivers to this reader has the same message id and is not counted again: only copies
    // the pipeline published are duplicates.
    const ids: string[] = []
    const sinkMessageIds = new Set<string>()
    let redeliveredToReader = 0
    let malformed = 0
    const reader = admin.subscription(sink.subscription.name, { flowControl: { maxMessages: 5000 } })
    reader.on('message', (m: PubSubMessage) => {
      m.ack()
      if (sinkMessageIds.has(m.id)) {
        redeliveredToReader++
        return
      }
      sinkMessageIds.add(m.id)
      const body = JSON.parse(m.data.toString()) as { id: number; hop?: string }
      if (body.hop !== 'bento-ts') malformed++
      ids.push(String(body.id))
    })
    reader.on('error', (err) => console.error('sink reader:', err))

    const runStarted = performance.now()
    try {
      const result = await runCrashTest({
        script: runStreamScript,
        args: await runStreamArgs(import.meta.url, config),
        // The child finds the emulator through the variable the client library reads (no endpoint).
        env: { PUBSUB_EMULATOR_HOST: host, METADATA_SERVER_DETECTION: 'none' },
        total,
        kills,
        delivered: async () => ids.length,
        collect: async () => [...ids],
        idOf: (i) => String(i),
        timeoutMs: 240_000,
      })
      const seconds = (performance.now() - runStarted) / 1000
      console.log(
        `gcp_pubsub crash test (${mode} pull): total ${result.total}, received ${result.received}, ` +
          `distinct ${result.distinct}, lost ${result.lost}, duplicates ${result.duplicates}, ` +
          `killed at ${result.killedAt.join('/')}, redelivered to the sink reader ${redeliveredToReader}, ` +
          `${seconds.toFixed(1)} s`,
      )
      if (result.lost > 0) console.error(`missing: ${result.missing.join(', ')}\n${result.log.slice(-5000)}`)
      expect(result.killedAt).toHaveLength(kills)
      expect(result.lost).toBe(0)
      expect(malformed).toBe(0)
      expect(result.duplicates).toBeLessThanOrEqual(duplicateBound[mode])
    } finally {
      await reader.close()
    }
  }, 300_000)
})
