// At least once under SIGKILL: a child process runs aws_sqs → mapping → aws_sqs between two moto
// queues and is killed three times at random points; afterwards every message must be in the
// target queue. Duplicates are expected (messages under way when the process died come back
// after the source's visibility timeout) and are counted.
//
// Size: moto (Python, in memory) works out every queue attribute, scanning the whole queue, for
// each message it sends or receives, so a call costs in proportion to the queue's length (0.5 s
// to receive 10 of 1,000 messages, 3.3 s of 5,000, on this shared 2-core machine) and a run in
// proportion to its square. 100k messages would take days. Sized by what it proves instead: kills
// land between 10 % and 90 % of the total, so ten in-flight windows (8 batches of 10 in the
// output, 10 in the poll buffer) put a full window behind even the earliest kill: 900. Set
// CRASH_TOTAL to run another size.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs'
import { runCrashTest, runStreamArgs, runStreamScript } from '@bento-ts/test-services'
import { afterAll, expect, test } from 'vitest'
import { awsYaml, createQueue, deleteQueue, sqsClient } from './helpers.ts'

const total = Number(process.env.CRASH_TOTAL ?? 10 * (8 * 10 + 10))
const sqs = sqsClient()
const queues: string[] = []
const dir = mkdtempSync(join(tmpdir(), 'aws-sqs-crash-'))

afterAll(async () => {
  for (const url of queues) await deleteQueue(sqs, url)
  sqs.destroy()
  rmSync(dir, { recursive: true, force: true })
})

const idOf = (i: number) => `m-${i}`

test(
  `no message lost when the stream is SIGKILLed three times (${total} messages)`,
  async () => {
    // A short visibility timeout brings back what a killed process held within seconds.
    const source = await createQueue(sqs, 'crash-src', { VisibilityTimeout: '5' })
    const target = await createQueue(sqs, 'crash-dst')
    queues.push(source, target)

    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < total) {
          const from = next
          next += 10
          const Entries = []
          for (let i = from; i < Math.min(from + 10, total); i++) {
            Entries.push({ Id: String(i - from), MessageBody: JSON.stringify({ id: idOf(i) }) })
          }
          const { Failed } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: source, Entries }))
          if (Failed !== undefined && Failed.length > 0)
            throw new Error(`pre-send failed: ${JSON.stringify(Failed)}`)
        }
      }),
    )
    const presentMs = performance.now() - started

    const configPath = join(dir, 'stream.yaml')
    writeFileSync(
      configPath,
      `
input:
  aws_sqs: { url: "${source}", wait_time_seconds: 1, ${awsYaml()} }
pipeline:
  processors:
    - mapping: |
        root = this
        root.copied = true
output:
  aws_sqs:
    { url: "${target}", max_in_flight: 8, batching: { count: 10, period: 50ms }, ${awsYaml()} }
`,
    )

    // The target is drained while the test runs (received, counted, deleted): moto's calls cost in
    // proportion to the queue's length, so a target left to fill up would slow everything down.
    const seen: string[] = []
    let draining = true
    const drainOnce = async (): Promise<number> => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: target, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      )
      for (const m of Messages) {
        const body = JSON.parse(m.Body ?? '') as { id: string; copied: boolean }
        if (body.copied !== true) throw new Error(`message not mapped: ${m.Body}`)
        seen.push(body.id)
      }
      if (Messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: target,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        )
      }
      return Messages.length
    }
    const drainer = (async () => {
      while (draining) await drainOnce()
    })()

    let result: Awaited<ReturnType<typeof runCrashTest>>
    try {
      result = await runCrashTest({
        script: runStreamScript,
        args: await runStreamArgs(import.meta.url, configPath),
        total,
        delivered: async () => seen.length,
        collect: async () => [...seen],
        idOf,
        timeoutMs: 15 * 60_000,
      })
    } finally {
      draining = false
      await drainer
    }
    // The last child was killed at the end: whatever it had sent and not yet been counted is read now.
    while ((await drainOnce()) > 0) {}
    const ids = [...seen]
    const distinctIds = new Set(ids)
    const missing = Array.from({ length: total }, (_, i) => idOf(i)).filter((id) => !distinctIds.has(id))
    result = {
      ...result,
      received: ids.length,
      distinct: distinctIds.size,
      lost: missing.length,
      duplicates: ids.length - distinctIds.size,
      missing: missing.slice(0, 20),
    }
    const runMs = performance.now() - started - presentMs
    console.log(
      `aws_sqs crash test: ${total} messages pre-sent in ${(presentMs / 1000).toFixed(1)}s, ` +
        `copied in ${(runMs / 1000).toFixed(1)}s with SIGKILLs at ${result.killedAt.join(', ')} delivered; ` +
        `lost ${result.lost}, duplicates ${result.duplicates} (${result.received} received, ${result.distinct} distinct)`,
    )
    if (result.lost > 0) console.log(`missing: ${result.missing.join(', ')}\n${result.log}`)
    expect(result.lost).toBe(0)
    expect(result.distinct).toBe(total)
    // Each kill can duplicate at most what was under way: the poll buffer, the batches in flight
    // (8 × 10) and the deletes not yet sent; 300 per kill is a generous bound.
    expect(result.duplicates).toBeLessThanOrEqual(3 * 300)
  },
  20 * 60_000,
)
