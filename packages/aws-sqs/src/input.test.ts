import { noCredentials } from '@bento-ts/aws'
import {
  BatchError,
  type ComponentContext,
  loadStreamConfig,
  silentLogger,
  standardEnvironment,
  startStream,
} from '@bento-ts/core'
import { componentContext } from '@bento-ts/test-services'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { register } from './index.ts'
import { type SqsInputConfig, type SqsSender, sqsInput, sqsMetadataKey, toMessage } from './input.ts'

const config = (over: Partial<SqsInputConfig> = {}): SqsInputConfig => ({
  url: 'http://sqs.local/000000000000/q',
  delete_message: true,
  reset_visibility: true,
  update_visibility: true,
  max_number_of_messages: 10,
  wait_time_seconds: 0,
  custom_request_headers: {},
  region: '',
  endpoint: '',
  credentials: noCredentials,
  ...over,
})

interface Call {
  command: string
  // biome-ignore lint/suspicious/noExplicitAny: the recorded input of any SQS command
  input: any
}

/** A queue holding `n` messages, handed out by ReceiveMessage; records every call. */
function fakeQueue(n: number, visibilityTimeout = '30') {
  const calls: Call[] = []
  let next = 0
  const client: SqsSender = {
    // biome-ignore lint/suspicious/noExplicitAny: commands of several shapes
    async send(command: any) {
      const name = command.constructor.name as string
      calls.push({ command: name, input: command.input })
      switch (name) {
        case 'GetQueueAttributesCommand':
          return { Attributes: { VisibilityTimeout: visibilityTimeout } }
        case 'ReceiveMessageCommand': {
          const count = Math.min(command.input.MaxNumberOfMessages, n - next)
          const messages = Array.from({ length: count }, () => {
            const i = next++
            return {
              MessageId: `id-${i}`,
              ReceiptHandle: `rh-${i}`,
              Body: `body-${i}`,
              Attributes: { ApproximateReceiveCount: '1' },
            }
          })
          return { Messages: messages }
        }
        default:
          return { Successful: [], Failed: [] }
      }
    },
    destroy() {},
  }
  const handles = (command: string) =>
    calls
      .filter((c) => c.command === command)
      .flatMap((c) => c.input.Entries.map((e: { ReceiptHandle: string }) => e.ReceiptHandle))
  return { client, calls, handles }
}

const never = new AbortController().signal

afterEach(() => {
  vi.useRealTimers()
})

describe('aws_sqs input', () => {
  test('acked messages are deleted in batches, nacked ones made visible at once, unread ones at close', async () => {
    const queue = fakeQueue(5)
    const input = await sqsInput(
      config({ max_number_of_messages: 2 }),
      await componentContext<ComponentContext>(import.meta.url),
      {
        client: () => queue.client,
      },
    )
    await input.connect(never)
    const reads = []
    for (let i = 0; i < 3; i++) reads.push(await input.read(never))
    expect(reads.map((r) => r.batch[0]!.text())).toEqual(['body-0', 'body-1', 'body-2'])
    await reads[0]!.ack()
    expect(queue.handles('DeleteMessageBatchCommand')).toEqual([])
    await reads[2]!.ack()
    // Two acks make a full batch of max_number_of_messages: deleted without waiting for the timer.
    expect(queue.handles('DeleteMessageBatchCommand')).toEqual(['rh-0', 'rh-2'])
    await reads[1]!.ack(new Error('output failed'))
    await input.close()
    const resets = queue.calls.filter((c) => c.command === 'ChangeMessageVisibilityBatchCommand')
    expect(
      resets.flatMap((c) => c.input.Entries.map((e: { VisibilityTimeout: number }) => e.VisibilityTimeout)),
    ).toEqual([0, 0])
    // rh-1 was nacked; rh-3 was received (the poll brought 2) but never read.
    expect(queue.handles('ChangeMessageVisibilityBatchCommand').sort()).toEqual(['rh-1', 'rh-3'])
    expect(queue.handles('DeleteMessageBatchCommand')).toEqual(['rh-0', 'rh-2'])
  })

  test('delete_message and reset_visibility off: acks and nacks leave the queue alone', async () => {
    const queue = fakeQueue(2)
    const input = await sqsInput(
      config({ delete_message: false, reset_visibility: false }),
      await componentContext<ComponentContext>(import.meta.url),
      {
        client: () => queue.client,
      },
    )
    await input.connect(never)
    const a = await input.read(never)
    const b = await input.read(never)
    await a.ack()
    await b.ack(new Error('no'))
    await input.close()
    expect(queue.calls.map((c) => c.command)).toEqual(['GetQueueAttributesCommand', 'ReceiveMessageCommand'])
  })

  test('messages under way get their visibility extended once half the queue timeout passed', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    let clock = 0
    const queue = fakeQueue(1, '10')
    const input = await sqsInput(config(), await componentContext<ComponentContext>(import.meta.url), {
      client: () => queue.client,
      now: () => clock,
    })
    await input.connect(never)
    const read = await input.read(never)
    clock = 4000
    await vi.advanceTimersByTimeAsync(1000)
    expect(queue.handles('ChangeMessageVisibilityBatchCommand')).toEqual([])
    clock = 5000
    await vi.advanceTimersByTimeAsync(1000)
    const extended = queue.calls.filter((c) => c.command === 'ChangeMessageVisibilityBatchCommand')
    expect(extended.map((c) => c.input.Entries)).toEqual([
      [{ Id: '0', ReceiptHandle: 'rh-0', VisibilityTimeout: 10 }],
    ])
    await read.ack()
    clock = 20_000
    await vi.advanceTimersByTimeAsync(1000)
    // Acked: deleted by the timer, and no longer extended.
    expect(queue.handles('DeleteMessageBatchCommand')).toEqual(['rh-0'])
    expect(queue.calls.filter((c) => c.command === 'ChangeMessageVisibilityBatchCommand')).toHaveLength(1)
    await input.close()
  })

  test('metadata: ids, system attributes in snake case, message attributes', () => {
    const message = toMessage({
      MessageId: 'm1',
      ReceiptHandle: 'r1',
      Body: 'hello',
      Attributes: { ApproximateReceiveCount: '2', AWSTraceHeader: 't', SentTimestamp: '123' },
      MessageAttributes: {
        text: { DataType: 'String', StringValue: 'v' },
        blob: { DataType: 'Binary', BinaryValue: new TextEncoder().encode('bytes') },
      },
    })
    expect(message.text()).toBe('hello')
    expect(Object.fromEntries(message.metadata)).toEqual({
      sqs_message_id: 'm1',
      sqs_receipt_handle: 'r1',
      sqs_approximate_receive_count: '2',
      sqs_aws_trace_header: 't',
      sqs_sent_timestamp: '123',
      text: 'v',
      blob: 'bytes',
    })
    expect(sqsMetadataKey('ApproximateFirstReceiveTimestamp')).toBe('sqs_approximate_first_receive_timestamp')
    expect(sqsMetadataKey('MessageGroupId')).toBe('sqs_message_group_id')
  })

  test('settings out of range are a FieldError naming the field', async () => {
    await expect(
      sqsInput(
        config({ max_number_of_messages: 11 }),
        await componentContext<ComponentContext>(import.meta.url),
      ),
    ).rejects.toMatchObject({
      name: 'FieldError',
      field: 'max_number_of_messages',
      message: 'max_number_of_messages: must be between 1 and 10, got 11',
    })
    await expect(
      sqsInput(config({ wait_time_seconds: 21 }), await componentContext<ComponentContext>(import.meta.url)),
    ).rejects.toMatchObject({
      name: 'FieldError',
      message: 'wait_time_seconds: must be between 0 and 20, got 21',
    })
    await expect(
      sqsInput(config({ url: '' }), await componentContext<ComponentContext>(import.meta.url)),
    ).rejects.toThrow('url: must not be empty')
  })

  test('through the runtime, a refused setting names its whole config path', async () => {
    const env = register(standardEnvironment())
    const stream = loadStreamConfig(
      'input: { aws_sqs: { url: "http://sqs.local/q", max_number_of_messages: 0 } }\noutput: { drop: {} }',
      env,
    )
    await expect(startStream(stream, env, { logger: silentLogger })).rejects.toThrow(
      'input.aws_sqs.max_number_of_messages: must be between 1 and 10, got 0',
    )
  })

  test('a message the output failed among others is made visible again; the rest are deleted', async () => {
    const queue = fakeQueue(1)
    const input = await sqsInput(config(), await componentContext<ComponentContext>(import.meta.url), {
      client: () => queue.client,
    })
    await input.connect(never)
    const read = await input.read(never)
    // The runtime hands the input a BatchError of a partly written batch, narrowed to this read.
    await read.ack(new BatchError(read.batch, [[0, new Error('refused')]]))
    await input.close()
    expect(queue.handles('ChangeMessageVisibilityBatchCommand')).toEqual(['rh-0'])
    expect(queue.handles('DeleteMessageBatchCommand')).toEqual([])
  })
})
