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
import {
  addPlugin,
  type Batch,
  type ComponentContext,
  createBuilder,
  createMetrics,
  type Environment,
  field,
  loadStreamConfig,
  type Message,
  silentLogger,
  standardEnvironment,
  startStream,
} from '@bento-ts/core'
import { requireService } from '@bento-ts/test-services'
import { register } from '../src/index.ts'

export function moto() {
  const env = requireService('moto')
  return {
    endpoint: env.AWS_ENDPOINT_URL!,
    region: env.AWS_REGION!,
    id: env.AWS_ACCESS_KEY_ID!,
    secret: env.AWS_SECRET_ACCESS_KEY!,
  }
}

/** The connection settings of our components for moto, as YAML flow mapping entries. */
export function awsYaml(): string {
  const m = moto()
  return `region: ${m.region}, endpoint: "${m.endpoint}", credentials: { id: ${m.id}, secret: ${m.secret} }`
}

/** The same settings as a parsed config object. */
export function awsConfig() {
  const m = moto()
  return {
    region: m.region,
    endpoint: m.endpoint,
    credentials: {
      profile: '',
      id: m.id,
      secret: m.secret,
      token: '',
      role: '',
      role_external_id: '',
      expiry_window: '',
      from_ec2_role: false,
    },
  }
}

/** The context a component gets from the runtime, for building one directly in a test. */
export function testContext(): ComponentContext {
  const metrics = createMetrics()
  const { builder, resources } = createBuilder(standardEnvironment(), silentLogger, metrics, {})
  return {
    label: 'test',
    path: 'test',
    logger: silentLogger,
    metrics,
    resources,
    build: builder,
    signal: new AbortController().signal,
  }
}

export function sqsClient(): SQSClient {
  const m = moto()
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

/** The standard environment with this package and `capture: <name>`, an output recording what it is given. */
export function captureEnvironment() {
  const captured = new Map<string, Message[]>()
  const env: Environment = standardEnvironment()
  register(env)
  addPlugin(env, {
    spec: {
      name: 'capture',
      kind: 'output',
      summary: 'records messages (tests)',
      value: field.string('capture'),
    },
    create: (name: string) => ({
      connect: async () => {},
      close: async () => {},
      async write(batch: Batch) {
        const list = captured.get(name) ?? []
        list.push(...batch)
        captured.set(name, list)
      },
    }),
  })
  return {
    env,
    captured: (name: string) => captured.get(name) ?? [],
    start: (yaml: string) => startStream(loadStreamConfig(yaml, env), env, { logger: silentLogger }),
  }
}

export { eventually } from '@bento-ts/test-services'
