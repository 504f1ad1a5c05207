// `gcp_pubsub` input: messages of a subscription, one per batch; an ack acknowledges the message
// to Pub/Sub, a nack gives it back at once (redelivered), a message the process never settled is
// redelivered when its lease runs out.
import {
  type AckFn,
  type ComponentContext,
  type ConfigOf,
  FieldError,
  field,
  type Input,
  type Logger,
} from '@bento-ts/core'
import { defineInput, inputSkeleton } from '@bento-ts/core/kit'
import { PubSub, v1 } from '@google-cloud/pubsub'
import {
  clientConfig,
  codeOf,
  endpointField,
  errorText,
  grpcCode,
  resourcePath,
  tracingField,
} from './client.ts'
import { toMessage } from './delivery.ts'
import { pullSource } from './pull.ts'
import { type Limits, type Source, streamingSource } from './streaming.ts'

const fields = [
  field.string('project', { description: 'The project ID of the target subscription.' }),
  field.string('subscription', { description: 'The target subscription ID.' }),
  endpointField,
  field.bool('sync', {
    default: false,
    description: 'Pull with unary Pull requests instead of a streaming pull.',
  }),
  field.int('max_outstanding_messages', {
    default: 1000,
    description: 'How many messages may be received and not yet acknowledged at once.',
  }),
  field.int('max_outstanding_bytes', {
    default: 1_000_000_000,
    description: 'How many bytes of messages may be received and not yet acknowledged at once.',
  }),
  field.object(
    'create_subscription',
    [
      field.bool('enabled', {
        default: false,
        description: 'Create the subscription when it does not exist.',
      }),
      field.string('topic', { default: '', description: 'The topic the created subscription reads.' }),
    ],
    {
      default: { enabled: false, topic: '' },
      advanced: true,
      description: 'Creates the subscription on a topic when it does not exist yet.',
    },
  ),
  tracingField('extract_tracing_map', 'A mapping that extracts a tracing span from each message'),
  field.bool('new_root_span_with_link', {
    optional: true,
    advanced: true,
    description: 'Starts a new root span linked to the extracted one (no effect: bento-ts has no tracer).',
  }),
] as const

export type InputConfig = ConfigOf<typeof fields>

/** Go's receive settings: 0 takes the default, a negative number means no limit. */
const limit = (value: number, fallback: number): number =>
  value === 0 ? fallback : value < 0 ? Number.POSITIVE_INFINITY : value

export function checkInputConfig(c: InputConfig): void {
  if (c.project.trim() === '') throw new FieldError('project', 'must not be empty')
  if (c.subscription.trim() === '') throw new FieldError('subscription', 'must not be empty')
  if (c.create_subscription.enabled && c.create_subscription.topic.trim() === '')
    throw new FieldError('create_subscription.topic', 'must be set when create_subscription.enabled is true')
}

async function ensureSubscription(client: PubSub, c: InputConfig, logger: Logger): Promise<void> {
  const sub = client.subscription(c.subscription)
  const [exists] = await sub.exists()
  if (exists) {
    logger.info(`Subscription '${c.subscription}' already exists`)
    return
  }
  logger.info(`Creating subscription '${c.subscription}' on topic '${c.create_subscription.topic}'`)
  try {
    await client.topic(c.create_subscription.topic).createSubscription(c.subscription)
  } catch (err) {
    // Another consumer created it first: what we wanted.
    if (codeOf(err) !== grpcCode.alreadyExists) throw err
  }
}

export async function gcpPubsubInput(c: InputConfig, context: ComponentContext): Promise<Input> {
  checkInputConfig(c)
  const logger = context.logger
  const limits: Limits = {
    maxMessages: limit(c.max_outstanding_messages, 1000),
    maxBytes: limit(c.max_outstanding_bytes, 1_000_000_000),
  }
  // One client for every connection: a source that broke is replaced, the client stays.
  let client: PubSub | undefined
  let created = !c.create_subscription.enabled
  const onError = (message: string) => logger.error(message)

  const input = await inputSkeleton(c, context, {
    async connect(): Promise<Source> {
      client ??= new PubSub(clientConfig(c))
      if (!created) {
        try {
          await ensureSubscription(client, c, logger)
        } catch (err) {
          throw new Error(
            `gcp_pubsub input: failed to create subscription '${c.subscription}' on topic '${c.create_subscription.topic}': ${errorText(err)}`,
          )
        }
        created = true
      }
      if (!c.sync) return streamingSource(client, c.subscription, limits, onError)
      // The same endpoint, credentials and emulator settings as the streaming client.
      const settings = (await client.getClientConfig()) as ConstructorParameters<
        typeof v1.SubscriberClient
      >[0]
      return pullSource({
        client: new v1.SubscriberClient(settings),
        subscription: resourcePath(c.project, 'subscriptions', c.subscription),
        limits,
        onError,
      })
    },
    async read(source, signal) {
      // A broken source throws NotConnected: the skeleton closes it (its leases go back) and
      // connects a new one.
      const delivery = await source.next(signal)
      const ack: AckFn = async (error) => {
        if (error === undefined) delivery.ack()
        else delivery.nack()
      }
      return { batch: [toMessage(delivery)], acks: [ack] }
    },
    disconnect: (source) => source.close(),
  })
  return {
    ...input,
    async close() {
      await input.close()
      await client?.close()
      client = undefined
    },
  }
}

export const gcpPubsubInputPlugin = defineInput({
  name: 'gcp_pubsub',
  status: 'stable',
  categories: ['Services', 'GCP'],
  summary: 'Consumes messages from a GCP Cloud Pub/Sub subscription.',
  description:
    'Each message becomes a batch of one. Acknowledging it acks the message to Pub/Sub; a failed ' +
    'delivery nacks it, so Pub/Sub redelivers it. Metadata: `gcp_pubsub_publish_time_unix`, ' +
    '`gcp_pubsub_message_id`, `gcp_pubsub_delivery_attempt` (when the subscription has a dead-letter ' +
    'policy), `gcp_pubsub_ordering_key` (when set) and every message attribute.',
  fields,
  create: gcpPubsubInput,
})
