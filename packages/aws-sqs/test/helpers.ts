// What the integration tests share: an SQS client for moto, queues made and removed per test, a
// stream environment with this package and a test output that records what reaches it.
import { randomUUID } from 'node:crypto'
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import { noCredentials } from '@bento-ts/aws'
import type { Message, Stream } from '@bento-ts/core'
import { motoSettings, streamHarness } from '@bento-ts/test-services'

/** The connection settings of our components for moto, as YAML flow mapping entries. */
export function awsYaml(): string {
  const m = motoSettings()
  return `region: ${m.region}, endpoint: "${m.endpoint}", credentials: { id: ${m.id}, secret: ${m.secret} }`
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

export function sqsClient(): SQSClient {
  const m = motoSettings()
  return new SQSClient({
    endpoint: m.endpoint,
    region: m.region,
    credentials: { accessKeyId: m.id, secretAccessKey: m.secret },
  })
}

export async function createQueue(
  sqs: SQSClient,
  prefix: string,
  attributes: Partial<Record<QueueAttributeName, string>> = {},
): Promise<string> {
  const fifo = attributes.FifoQueue === 'true'
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-${randomUUID().slice(0, 8)}${fifo ? '.fifo' : ''}`,
      Attributes: attributes,
    }),
  )
  return QueueUrl!
}

export async function deleteQueue(sqs: SQSClient, url: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => {})
}

/** Visible, in flight and delayed message counts of a queue. */
export async function queueCounts(sqs: SQSClient, url: string) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  )
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(Attributes?.ApproximateNumberOfMessagesDelayed),
  }
}

/**
 * Every message of a queue, read without deleting: each is received once and stays invisible
 * (12 h) while the rest are read, so duplicates in the queue show up as duplicates here.
 */
export async function receiveAll(sqs: SQSClient, url: string) {
  const out: { body: string; attributes: Record<string, string> }[] = []
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 43_200,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    )
    if (Messages === undefined || Messages.length === 0) return out
    for (const m of Messages) {
      const attributes: Record<string, string> = {}
      for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) attributes[k] = v.StringValue ?? ''
      out.push({ body: m.Body ?? '', attributes })
    }
  }
}

/** Streams from YAML with this package and the shared `capture: <name>` output. */
export async function captureEnvironment() {
  const harness = await streamHarness<Stream, Message>(import.meta.url)
  return {
    captured: (name: string): Message[] => harness.captured(name).messages,
    start: (yaml: string): Promise<Stream> => harness.start(yaml),
  }
}
