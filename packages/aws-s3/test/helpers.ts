// What the integration tests share: S3 and SQS clients for moto, buckets and queues made and
// removed per test, and a stream environment with this package and a recording test output.
import { randomUUID } from 'node:crypto'
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3'
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs'
import { noCredentials } from '@bento-ts/aws'
import type { Message, Stream } from '@bento-ts/core'
import { motoSettings, streamHarness } from '@bento-ts/test-services'

/** Our components' settings for moto, as YAML flow mapping entries. */
export function awsYaml(): string {
  const m = motoSettings()
  return `region: ${m.region}, endpoint: "${m.endpoint}", force_path_style_urls: true, credentials: { id: ${m.id}, secret: ${m.secret} }`
}

/** The same settings as the part of a parsed config that @bento-ts/aws declares. */
export function awsConfig() {
  const m = motoSettings()
  return {
    region: m.region,
    endpoint: m.endpoint,
    credentials: { ...noCredentials, id: m.id, secret: m.secret },
  }
}

const credentials = () => {
  const m = motoSettings()
  return { accessKeyId: m.id, secretAccessKey: m.secret }
}

export const s3Sdk = (): S3Client =>
  new S3Client({
    endpoint: motoSettings().endpoint,
    region: motoSettings().region,
    forcePathStyle: true,
    credentials: credentials(),
  })

export const sqsSdk = (): SQSClient =>
  new SQSClient({
    endpoint: motoSettings().endpoint,
    region: motoSettings().region,
    credentials: credentials(),
  })

export async function createBucket(s3: S3Client, prefix: string): Promise<string> {
  const Bucket = `${prefix}-${randomUUID().slice(0, 8)}`
  await s3.send(new CreateBucketCommand({ Bucket }))
  return Bucket
}

/** Every key of a bucket (all pages). */
export async function keysOf(s3: S3Client, Bucket: string, Prefix?: string): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken: token }))
    for (const o of page.Contents ?? []) keys.push(o.Key!)
    token = page.NextContinuationToken
  } while (token !== undefined)
  return keys
}

export async function removeBucket(s3: S3Client, Bucket: string): Promise<void> {
  for (const Key of await keysOf(s3, Bucket).catch(() => []))
    await s3.send(new DeleteObjectCommand({ Bucket, Key }))
  await s3.send(new DeleteBucketCommand({ Bucket })).catch(() => {})
}

export async function createQueue(sqs: SQSClient, prefix: string): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${prefix}-${randomUUID().slice(0, 8)}` }),
  )
  return QueueUrl!
}

export async function deleteQueue(sqs: SQSClient, QueueUrl: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => {})
}

/** Streams from YAML with this package and the shared `capture: <name>` output. */
export async function captureEnvironment() {
  const harness = await streamHarness<Stream, Message>(import.meta.url)
  return {
    captured: (name: string): Message[] => harness.captured(name).messages,
    start: (yaml: string): Promise<Stream> => harness.start(yaml),
  }
}
