// Round trips through moto's SQS: our output writes, our input reads, metadata checked both ways.
import { SendMessageCommand } from '@aws-sdk/client-sqs'
import { type ComponentContext, Message, silentLogger } from '@bento-ts/core'
import { componentContext, eventually } from '@bento-ts/test-services'
import { afterAll, describe, expect, test } from 'vitest'
import { sqsInput } from '../src/input.ts'
import { sqsOutput } from '../src/output.ts'
import {
  awsConfig,
  awsYaml,
  captureEnvironment,
  createQueue,
  deleteQueue,
  queueCounts,
  receiveAll,
  sqsClient,
} from './helpers.ts'

const sqs = sqsClient()
const queues: string[] = []
const queue = async (prefix: string, attributes: Record<string, string> = {}) => {
  const url = await createQueue(sqs, prefix, attributes)
  queues.push(url)
  return url
}
const never = new AbortController().signal

afterAll(async () => {
  for (const url of queues) await deleteQueue(sqs, url)
  sqs.destroy()
})

describe('aws_sqs against moto', () => {
  test('output → queue → input in two streams: bodies, attributes and SQS metadata arrive; acked messages are deleted', async () => {
    const url = await queue('rt')
    const harness = await captureEnvironment()
    const counter = `rt-${url.split('/').at(-1)}`
    const producer = await harness.start(`
input:
  generate:
    count: 25
    interval: ""
    mapping: |
      root.n = count("${counter}")
      meta color = "blue"
      meta _private = "kept out"
output:
  aws_sqs:
    { url: "${url}", ${awsYaml()}, metadata: { exclude_prefixes: [_] }, batching: { count: 10 } }
`)
    await producer.done
    expect(await queueCounts(sqs, url)).toEqual({ visible: 25, inFlight: 0, delayed: 0 })

    const consumer = await harness.start(`
input:
  aws_sqs: { url: "${url}", wait_time_seconds: 1, ${awsYaml()} }
output:
  capture: rt
`)
    await eventually(() => harness.captured('rt').length >= 25, { timeoutMs: 60_000, what: '25 messages' })
    await consumer.stop(10_000)
    const got = harness.captured('rt')
    expect(got.map((m) => (m.structured() as { n: number }).n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, i) => i + 1),
    )
    for (const m of got) {
      expect(m.metaString('color')).toBe('blue')
      expect(m.metadata.has('_private')).toBe(false)
      expect(m.metaString('sqs_message_id')).toMatch(/^[0-9a-f-]{36}$/)
      expect(m.metaString('sqs_receipt_handle')).not.toBe('')
      expect(m.metaString('sqs_approximate_receive_count')).toBe('1')
      expect(Number(m.metaString('sqs_sent_timestamp'))).toBeGreaterThan(0)
    }
    // Deleted once delivered: nothing visible, nothing in flight.
    await eventually(
      async () => {
        const c = await queueCounts(sqs, url)
        return c.visible === 0 && c.inFlight === 0
      },
      { timeoutMs: 30_000, what: 'the queue to be empty' },
    )
  })

  test('a nacked message is visible again at once and comes back with its receive count raised', async () => {
    const url = await queue('nack')
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'again',
        MessageAttributes: { origin: { DataType: 'String', StringValue: 'sdk' } },
      }),
    )
    const input = await sqsInput(
      {
        url,
        delete_message: true,
        reset_visibility: true,
        update_visibility: true,
        max_number_of_messages: 1,
        wait_time_seconds: 1,
        custom_request_headers: {},
        ...awsConfig(),
      },
      await componentContext<ComponentContext>(import.meta.url),
    )
    await input.connect(never)
    const first = await input.read(never)
    expect(first.batch[0]!.text()).toBe('again')
    expect(first.batch[0]!.metaString('origin')).toBe('sdk')
    await first.ack(new Error('output failed'))
    // max_number_of_messages 1: the reset goes out with this nack, no timer involved.
    const second = await input.read(never)
    expect(second.batch[0]!.metaString('sqs_message_id')).toBe(first.batch[0]!.metaString('sqs_message_id'))
    expect(second.batch[0]!.metaString('sqs_approximate_receive_count')).toBe('2')
    await second.ack()
    await input.close()
    expect(await queueCounts(sqs, url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 })
  })

  test('FIFO: interpolated group and deduplication ids reach the queue and come back as metadata', async () => {
    const url = await queue('fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'false' })
    const out = sqsOutput(
      {
        url,
        message_group_id: '${! meta("group") }',
        message_deduplication_id: '${! json("id") }',
        metadata: { exclude_prefixes: [] },
        max_in_flight: 64,
        batching: { count: 0, byte_size: 0, period: '', jitter: 0, check: '' },
        max_retries: 0,
        backoff: { initial_interval: '1s', max_interval: '5s', max_elapsed_time: '30s' },
        ...awsConfig(),
      },
      { logger: silentLogger },
    )
    await out.connect(never)
    const batch = ['a', 'b', 'a', 'c'].map(
      (id, i) => new Message(JSON.stringify({ id, i }), [['group', `g${i % 2}`]]),
    )
    await out.write(batch, never)
    await out.close()

    const input = await sqsInput(
      {
        url,
        delete_message: true,
        reset_visibility: true,
        update_visibility: true,
        max_number_of_messages: 10,
        wait_time_seconds: 1,
        custom_request_headers: {},
        ...awsConfig(),
      },
      await componentContext<ComponentContext>(import.meta.url),
    )
    await input.connect(never)
    const got: Message[] = []
    // The third message repeats the deduplication id "a": the queue keeps one of the two.
    while (got.length < 3) {
      const { batch: read, ack } = await input.read(never)
      got.push(...read)
      await ack()
    }
    await input.close()
    const seen = got.map((m) => [
      m.text(),
      m.metaString('sqs_message_group_id'),
      m.metaString('sqs_message_deduplication_id'),
    ])
    expect(seen.sort()).toEqual([
      ['{"id":"a","i":0}', 'g0', 'a'],
      ['{"id":"b","i":1}', 'g1', 'b'],
      ['{"id":"c","i":3}', 'g1', 'c'],
    ])
    expect(await queueCounts(sqs, url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 })
  })

  test('delay_seconds holds a message back', async () => {
    const url = await queue('delay')
    const out = sqsOutput(
      {
        url,
        delay_seconds: '${! meta("delay") }',
        metadata: { exclude_prefixes: ['delay'] },
        max_in_flight: 64,
        batching: { count: 0, byte_size: 0, period: '', jitter: 0, check: '' },
        max_retries: 0,
        backoff: { initial_interval: '1s', max_interval: '5s', max_elapsed_time: '30s' },
        ...awsConfig(),
      },
      { logger: silentLogger },
    )
    await out.connect(never)
    await out.write([new Message('later', [['delay', '900']]), new Message('now', [['delay', '0']])], never)
    await out.close()
    expect(await queueCounts(sqs, url)).toEqual({ visible: 1, inFlight: 0, delayed: 1 })
    expect((await receiveAll(sqs, url)).map((m) => m.body)).toEqual(['now'])
  })
})
