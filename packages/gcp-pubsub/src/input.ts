// `gcp_pubsub` input: messages of a subscription, one per batch; an ack acknowledges the message
// to Pub/Sub, a nack gives it back at once (redelivered), a message the process never settled is
// redelivered when its lease runs out.
import { type AckFn, field, type Input, type Logger, NotConnected, type Plugin } from '@bento-ts/core'
import { PubSub, v1 } from '@google-cloud/pubsub'
import {
  type ClientFields,
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

export interface InputConfig extends ClientFields {
  subscription: string
  sync: boolean
  max_outstanding_messages: number
  max_outstanding_bytes: number
  create_subscription: { enabled: boolean; topic: string }
}

export const inputSpec: Plugin<'input'>['spec'] = {
  name: 'gcp_pubsub',
  kind: 'input',
  status: 'stable',
  categories: ['Services', 'GCP'],
  summary: 'Consumes messages from a GCP Cloud Pub/Sub subscription.',
  description:
    'Each message becomes a batch of one. Acknowledging it acks the message to Pub/Sub; a failed ' +
    'delivery nacks it, so Pub/Sub redelivers it. Metadata: `gcp_pubsub_publish_time_unix`, ' +
    '`gcp_pubsub_message_id`, `gcp_pubsub_delivery_attempt` (when the subscription has a dead-letter ' +
    'policy), `gcp_pubsub_ordering_key` (when set) and every message attribute.',
  fields: [
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
  ],
}

/** Go's receive settings: 0 takes the default, a negative number means no limit. */
const limit = (value: number, fallback: number): number =>
  value === 0 ? fallback : value < 0 ? Number.POSITIVE_INFINITY : value

export function checkInputConfig(c: InputConfig): void {
  if (c.project.trim() === '') throw new Error('gcp_pubsub input: field project must not be empty')
  if (c.subscription.trim() === '') throw new Error('gcp_pubsub input: field subscription must not be empty')
  if (c.create_subscription.enabled && c.create_subscription.topic.trim() === '')
    throw new Error(
      'gcp_pubsub input: field create_subscription.topic must be set when create_subscription.enabled is true',
    )
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

export function gcpPubsubInput(c: InputConfig, logger: Logger): Input {
  checkInputConfig(c)
  const limits: Limits = {
    maxMessages: limit(c.max_outstanding_messages, 1000),
    maxBytes: limit(c.max_outstanding_bytes, 1_000_000_000),
  }
  let client: PubSub | undefined
  let source: Source | undefined
  let created = !c.create_subscription.enabled
  const onError = (message: string) => logger.error(message)

  return {
    async connect() {
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
      // A source that broke still holds its leases until closed: closing gives them back.
      if (source !== undefined) {
        const old = source
        source = undefined
        await old.close().catch(() => {})
      }
      if (c.sync) {
        // The same endpoint, credentials and emulator settings as the streaming client.
        const settings = (await client.getClientConfig()) as ConstructorParameters<
          typeof v1.SubscriberClient
        >[0]
        const subscriber = new v1.SubscriberClient(settings)
        source = pullSource({
          client: subscriber,
          subscription: resourcePath(c.project, 'subscriptions', c.subscription),
          limits,
          onError,
        })
      } else {
        source = streamingSource(client, c.subscription, limits, onError)
      }
    },
    async read(signal) {
      if (source === undefined) throw new NotConnected('gcp_pubsub input: not connected')
      const delivery = await source.next(signal)
      const ack: AckFn = async (error) => {
        if (error === undefined) delivery.ack()
        else delivery.nack()
      }
      return { batch: [toMessage(delivery)], ack }
    },
    async close() {
      const closing = source
      source = undefined
      await closing?.close()
      await client?.close()
      client = undefined
    },
  }
}

export const gcpPubsubInputPlugin: Plugin<'input'> = {
  spec: inputSpec,
  create: (config: InputConfig, context) => gcpPubsubInput(config, context.logger),
}
