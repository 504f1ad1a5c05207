// The aws_s3 input in SQS-notification mode against moto: hand-made S3 event notifications in a
// queue name the objects to read; a notification is deleted only once every object it names was
// delivered, and made visible again at once when one was not.
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import type { ComponentContext, Input } from '@bento-ts/core'
import { componentContext, eventually } from '@bento-ts/test-services'
import { afterAll, expect, test } from 'vitest'
import { type S3InputConfig, s3Input } from '../src/input.ts'
import {
  awsConfig,
  createBucket,
  createQueue,
  deleteQueue,
  keysOf,
  removeBucket,
  s3Sdk,
  sqsSdk,
} from './helpers.ts'

const s3 = s3Sdk()
const sqs = sqsSdk()
const cleanup: (() => Promise<void>)[] = []
const signal = new AbortController().signal

afterAll(async () => {
  for (const c of cleanup) await c()
  s3.destroy()
  sqs.destroy()
})

const event = (records: { bucket: string; key: string }[]) =>
  JSON.stringify({
    Records: records.map((r) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: r.bucket }, object: { key: r.key, size: 1 } },
    })),
  })

async function counts(url: string) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  )
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
  }
}

function config(bucket: string, url: string, over: Partial<S3InputConfig> = {}): S3InputConfig {
  return {
    bucket: '',
    prefix: '',
    ...awsConfig(),
    force_path_style_urls: true,
    delete_objects: false,
    scanner: { to_the_end: {} },
    request_checksum_calculation: 'when_supported',
    response_checksum_validation: 'when_supported',
    sqs: {
      url,
      endpoint: '',
      key_path: 'Records.*.s3.object.key',
      bucket_path: 'Records.*.s3.bucket.name',
      envelope_path: '',
      delay_period: '',
      max_messages: 10,
      wait_time_seconds: 1,
    },
    ...over,
    ...(bucket === '' ? {} : { bucket }),
  }
}

async function setUp(prefix: string) {
  const bucket = await createBucket(s3, prefix)
  const url = await createQueue(sqs, prefix)
  cleanup.push(
    () => removeBucket(s3, bucket),
    () => deleteQueue(sqs, url),
  )
  return { bucket, url }
}

/**
 * Reads on until `done` holds: an object counts as read to its end only once a read finds its
 * end (as the stream's next read does), then the read waits on the queue and is given up.
 */
async function readToEnd(input: Input, done: () => Promise<boolean>): Promise<void> {
  const stop = new AbortController()
  const reading = input.read(stop.signal).then(
    () => {
      throw new Error('no further message was expected')
    },
    () => {},
  )
  await eventually(done, { timeoutMs: 30_000, what: 'the notification to be deleted' })
  stop.abort()
  await reading
}

const readOne = async (input: Input) => {
  const { batch, ack } = await input.read(signal)
  return { texts: batch.map((m) => m.text()), key: batch[0]!.metaString('s3_key'), ack }
}

test('a notification naming two objects is deleted once both were delivered; objects deleted with delete_objects', async () => {
  const { bucket, url } = await setUp('notify')
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a b.txt', Body: 'first' }))
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/c.txt', Body: 'second' }))
  // S3 URL-encodes keys in events: the space arrives as `+`.
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: event([
        { bucket, key: 'a+b.txt' },
        { bucket, key: 'dir%2Fc.txt' },
      ]),
    }),
  )
  const input = await s3Input(
    config('', url, { delete_objects: true }),
    await componentContext<ComponentContext>(import.meta.url),
  )
  await input.connect(signal)
  const first = await readOne(input)
  expect([first.key, ...first.texts]).toEqual(['a b.txt', 'first'])
  await first.ack()
  // This read finds the end of the first object (delivered: deleted) and starts the second.
  const second = await readOne(input)
  expect([second.key, ...second.texts]).toEqual(['dir/c.txt', 'second'])
  expect(await keysOf(s3, bucket)).toEqual(['dir/c.txt'])
  // One of two objects delivered: the notification stays taken.
  expect(await counts(url)).toEqual({ visible: 0, inFlight: 1 })
  await second.ack()
  await readToEnd(input, async () => {
    const c = await counts(url)
    return c.visible === 0 && c.inFlight === 0
  })
  expect(await keysOf(s3, bucket)).toEqual([])
  await input.close()
})

test('a message that was not delivered makes its notification visible again, and the object is read again', async () => {
  const { bucket, url } = await setUp('renotify')
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'k.json', Body: '{"v":1}', ContentType: 'application/json' }),
  )
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: event([{ bucket, key: 'k.json' }]) }))
  const input = await s3Input(config('', url), await componentContext<ComponentContext>(import.meta.url))
  await input.connect(signal)
  const first = await readOne(input)
  await first.ack(new Error('output failed'))
  expect(await counts(url)).toEqual({ visible: 1, inFlight: 0 })
  const again = await input.read(signal)
  expect(again.batch[0]!.text()).toBe('{"v":1}')
  expect(again.batch[0]!.metaString('s3_content_type')).toBe('application/json')
  await again.ack()
  await readToEnd(input, async () => {
    const c = await counts(url)
    return c.visible === 0 && c.inFlight === 0
  })
  // Without delete_objects the object stays.
  expect(await keysOf(s3, bucket)).toEqual(['k.json'])
  await input.close()
})

test('SNS envelope, the configured bucket for events without one, lines scanner; closing gives back what was not read', async () => {
  const { bucket, url } = await setUp('envelope')
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'x.txt', Body: 'one\ntwo\n' }))
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'y.txt', Body: 'three\n' }))
  const wrapped = (key: string) =>
    JSON.stringify({
      Type: 'Notification',
      Message: JSON.stringify({ Records: [{ s3: { object: { key } } }] }),
    })
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: wrapped('x.txt') }))
  const input = await s3Input(
    config(bucket, url, {
      scanner: { lines: {} },
      sqs: { ...config(bucket, url).sqs!, envelope_path: 'Message', bucket_path: 'Records.*.s3.bucket.name' },
    }),
    await componentContext<ComponentContext>(import.meta.url),
  )
  await input.connect(signal)
  const a = await readOne(input)
  expect([a.key, ...a.texts]).toEqual(['x.txt', 'one'])
  await a.ack()
  // Closed before the object was read to its end: the notification goes back to the queue.
  await input.close()
  expect(await counts(url)).toEqual({ visible: 1, inFlight: 0 })
})
