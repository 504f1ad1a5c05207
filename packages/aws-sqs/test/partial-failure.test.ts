// A SendMessageBatch that SQS (moto) accepts in part: one entry asks for a delay longer than the
// 900 s SQS allows, which SQS refuses for that entry alone (a sender fault) while taking the rest.
import { BatchError, Message, silentLogger } from '@bento-ts/core'
import { afterAll, expect, test } from 'vitest'
import { sqsOutput } from '../src/output.ts'
import { awsConfig, createQueue, deleteQueue, queueCounts, receiveAll, sqsClient } from './helpers.ts'

const sqs = sqsClient()
let url = ''

afterAll(async () => {
  if (url !== '') await deleteQueue(sqs, url)
  sqs.destroy()
})

test('entries SQS refuses are reported by id and reason; what it took is in the queue once', async () => {
  url = await createQueue(sqs, 'partial')
  const out = sqsOutput(
    {
      url,
      delay_seconds: '${! meta("delay") }',
      metadata: { exclude_prefixes: ['delay'] },
      max_in_flight: 64,
      batching: { count: 0, byte_size: 0, period: '', jitter: 0, check: '' },
      max_retries: 0,
      backoff: { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '5s' },
      ...awsConfig(),
    },
    { logger: silentLogger },
  )
  await out.connect(new AbortController().signal)
  // Twelve messages: the first request carries 0 to 9, and SQS refuses number 4.
  const batch = Array.from({ length: 12 }, (_, i) => new Message(`m${i}`, [['delay', i === 4 ? '901' : '0']]))
  const write = out.write(batch, new AbortController().signal)
  await expect(write).rejects.toThrow(
    /SQS refused 1 of 10 entries of a SendMessageBatch to .*: entry 4: InvalidParameterValue: Value \d+ for parameter DelaySeconds is invalid/,
  )
  // Only the messages SQS did not take are failed: the one it refused and the two never sent.
  const error = await write.catch((err: unknown) => err)
  expect(error).toBeInstanceOf(BatchError)
  expect(batch.filter((m) => (error as BatchError).failures.has(m)).map((m) => m.text())).toEqual([
    'm4',
    'm10',
    'm11',
  ])
  await out.close()
  // The nine SQS took are there exactly once; the write stopped before sending m10 and m11, which
  // the error names with m4, so the runtime sends only those three again.
  expect(await queueCounts(sqs, url)).toEqual({ visible: 9, inFlight: 0, delayed: 0 })
  const bodies = (await receiveAll(sqs, url)).map((m) => m.body).sort()
  expect(bodies).toEqual(['m0', 'm1', 'm2', 'm3', 'm5', 'm6', 'm7', 'm8', 'm9'])
})
