// `gcp_pubsub` output: publishes each message to a topic (interpolated per message) with its
// metadata as attributes and an optional ordering key. The client library bundles publishes by
// count_threshold / delay_threshold / byte_threshold; a write resolves once Pub/Sub has stored
// every message of the batch.
import { batchingField, field, type Message, type Output, type Plugin, parseDuration } from '@bento-ts/core'
import {
  abortable,
  BatchView,
  type Interpolated,
  interpolated,
  type MetadataFilter,
  metadataExcludeField,
  metadataExcludeFilter,
  metadataStrings,
} from '@bento-ts/core/kit'
import { type PublishOptions, PubSub, type Topic } from '@google-cloud/pubsub'
import { type ClientFields, clientConfig, endpointField, errorText, tracingField } from './client.ts'
import { type LimitBehavior, PublishGate } from './flow-control.ts'

export interface OutputConfig extends ClientFields {
  topic: string
  ordering_key?: string
  max_in_flight: number
  count_threshold: number
  delay_threshold: string
  byte_threshold: number
  publish_timeout: string
  metadata: { exclude_prefixes: string[] }
  flow_control: {
    max_outstanding_bytes: number
    max_outstanding_messages: number
    limit_exceeded_behavior: LimitBehavior
  }
}

export const outputSpec: Plugin<'output'>['spec'] = {
  name: 'gcp_pubsub',
  kind: 'output',
  status: 'stable',
  categories: ['Services', 'GCP'],
  summary: 'Sends messages to a GCP Cloud Pub/Sub topic. Message metadata is sent as attributes.',
  description:
    'The topic must exist. With `ordering_key` set, messages of one key are published in the order ' +
    'they were written; keep `max_in_flight: 1` when that order must also hold across batches. ' +
    'A message with an empty payload and no attributes is refused (Pub/Sub rejects it).',
  fields: [
    field.string('project', { description: 'The project ID of the topic to publish to.' }),
    field.interpolated('topic', { description: 'The topic to publish to.' }),
    endpointField,
    field.interpolated('ordering_key', {
      optional: true,
      advanced: true,
      description: 'The ordering key to use for publishing messages.',
    }),
    field.int('max_in_flight', {
      default: 64,
      description: 'The maximum number of messages to have in flight at a given time.',
    }),
    field.int('count_threshold', {
      default: 100,
      description: 'Publish a bundle of the client once it holds this many messages.',
    }),
    field.duration('delay_threshold', {
      default: '10ms',
      description: 'Publish a non-empty bundle of the client after this delay has passed.',
    }),
    field.int('byte_threshold', {
      default: 1_000_000,
      description: 'Publish a bundle of the client once its size in bytes reaches this value.',
    }),
    field.duration('publish_timeout', {
      default: '1m0s',
      advanced: true,
      examples: ['10s', '5m', '60m'],
      description: 'How long a publish may take, retries included, before it fails.',
    }),
    metadataExcludeField(
      'Specify criteria for which metadata values are sent as attributes, all are sent by default.',
    ),
    tracingField('inject_tracing_map', 'A mapping that injects the tracing span into each message'),
    field.object(
      'flow_control',
      [
        field.int('max_outstanding_bytes', {
          default: -1,
          description: 'Bytes of messages handed to the client and not yet published (≤ 0: no limit).',
        }),
        field.int('max_outstanding_messages', {
          default: 1000,
          description: 'Messages handed to the client and not yet published (≤ 0: no limit).',
        }),
        field.string('limit_exceeded_behavior', {
          default: 'block',
          options: ['ignore', 'block', 'signal_error'],
          description:
            'What a publish past the limits does: `block` waits for room, `signal_error` fails it, ' +
            '`ignore` disables the limits.',
        }),
      ],
      {
        default: {
          max_outstanding_bytes: -1,
          max_outstanding_messages: 1000,
          limit_exceeded_behavior: 'block',
        },
        advanced: true,
        description: 'Bounds what the client buffers for publishing.',
      },
    ),
    batchingField,
  ],
}

/** The client's per-topic settings from the config (Go's defaults where a field is ≤ 0). */
export function publishOptions(c: OutputConfig): PublishOptions {
  return {
    batching: {
      maxMessages: c.count_threshold > 0 ? c.count_threshold : 100,
      maxBytes: c.byte_threshold > 0 ? c.byte_threshold : 1_000_000,
      maxMilliseconds: Math.max(0, parseDuration(c.delay_threshold)),
    },
    gaxOpts: { timeout: parseDuration(c.publish_timeout) },
    messageOrdering: c.ordering_key !== undefined,
  }
}

/** What the flow control counts for a message: its payload, attribute and ordering key bytes. */
export function messageSize(
  data: Uint8Array,
  attributes: Record<string, string>,
  orderingKey: string,
): number {
  let size = data.length + Buffer.byteLength(orderingKey)
  for (const key in attributes) size += Buffer.byteLength(key) + Buffer.byteLength(attributes[key]!)
  return size
}

interface Prepared {
  topic: string
  data: Buffer
  attributes: Record<string, string>
  orderingKey: string
}

/** Everything a message needs to be published, or why it cannot be. */
export function prepare(
  message: Message,
  view: BatchView,
  index: number,
  topic: Interpolated,
  orderingKey: Interpolated | undefined,
  filter: MetadataFilter,
): Prepared {
  let name: string
  try {
    name = topic.text(view, index)
  } catch (err) {
    throw new Error(`gcp_pubsub output: failed to resolve topic name: ${errorText(err)}`)
  }
  let key = ''
  if (orderingKey !== undefined) {
    try {
      key = orderingKey.text(view, index)
    } catch (err) {
      throw new Error(`gcp_pubsub output: failed to build ordering key: ${errorText(err)}`)
    }
  }
  const bytes = message.bytes()
  const attributes = metadataStrings(message, filter)
  // Pub/Sub refuses the whole request such a message is bundled in, failing its neighbours too.
  if (bytes.length === 0 && Object.keys(attributes).length === 0)
    throw new Error(
      'gcp_pubsub output: message has an empty payload and no attributes, which Pub/Sub rejects',
    )
  return {
    topic: name,
    data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    attributes,
    orderingKey: key,
  }
}

export function gcpPubsubOutput(c: OutputConfig): Output {
  if (c.project.trim() === '') throw new Error('gcp_pubsub output: field project must not be empty')
  const topicName = interpolated(c.topic, 'topic')
  const orderingKey = c.ordering_key === undefined ? undefined : interpolated(c.ordering_key, 'ordering_key')
  const filter = metadataExcludeFilter(c.metadata)
  const options = publishOptions(c)
  const gate = new PublishGate({
    maxMessages: c.flow_control.max_outstanding_messages,
    maxBytes: c.flow_control.max_outstanding_bytes,
    behavior: c.flow_control.limit_exceeded_behavior,
  })
  let client: PubSub | undefined
  /** topics checked to exist, ready to publish to */
  const ready = new Map<string, Topic>()
  const checking = new Map<string, Promise<Topic>>()

  const topicFor = (pubsub: PubSub, name: string): Promise<Topic> => {
    let found = checking.get(name)
    if (found === undefined) {
      found = (async () => {
        const topic = pubsub.topic(name, options)
        let exists: boolean
        try {
          ;[exists] = await topic.exists()
        } catch (err) {
          throw new Error(`gcp_pubsub output: failed to validate topic '${name}': ${errorText(err)}`)
        }
        if (!exists)
          throw new Error(`gcp_pubsub output: topic '${name}' does not exist in project '${c.project}'`)
        ready.set(name, topic)
        return topic
      })()
      checking.set(name, found)
      // A failed check is tried again by the next write.
      found.catch(() => checking.delete(name))
    }
    return found
  }

  const send = (topic: Topic, p: Prepared, signal: AbortSignal): Promise<string> => {
    const size = messageSize(p.data, p.attributes, p.orderingKey)
    const publish = (): Promise<string> => {
      const published = topic.publishMessage({
        data: p.data,
        attributes: p.attributes,
        ...(p.orderingKey === '' ? {} : { orderingKey: p.orderingKey }),
      })
      return published.then(
        (id) => {
          gate.release(size)
          return id
        },
        (err: unknown) => {
          gate.release(size)
          // An ordered key stops publishing after a failure until resumed: the retry must go out.
          if (p.orderingKey !== '') topic.resumePublishing(p.orderingKey)
          throw new Error(`gcp_pubsub output: failed to publish to topic '${p.topic}': ${errorText(err)}`)
        },
      )
    }
    const room = gate.acquire(size, signal)
    return room === undefined ? publish() : room.then(publish)
  }

  /** Publishes one message; the common case (known topic, room in the gate) starts synchronously. */
  const publishOne = (
    pubsub: PubSub,
    message: Message,
    view: BatchView,
    i: number,
    signal: AbortSignal,
  ): Promise<string> => {
    let prepared: Prepared
    try {
      prepared = prepare(message, view, i, topicName, orderingKey, filter)
    } catch (err) {
      return Promise.reject(err)
    }
    try {
      const topic = ready.get(prepared.topic)
      if (topic !== undefined) return send(topic, prepared, signal)
    } catch (err) {
      return Promise.reject(err)
    }
    return topicFor(pubsub, prepared.topic).then((topic) => send(topic, prepared, signal))
  }

  return {
    maxInFlight: c.max_in_flight,
    async connect() {
      client ??= new PubSub(clientConfig(c))
    },
    async write(batch, signal) {
      const pubsub = client
      if (pubsub === undefined) throw new Error('gcp_pubsub output: not connected')
      const view = new BatchView(batch)
      const publishes = batch.map((m, i) => publishOne(pubsub, m, view, i, signal))
      const results = await abortable(Promise.allSettled(publishes), signal)
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed.length === 0) return
      const first = failed[0]!.reason as Error
      if (batch.length === 1) throw first
      throw new Error(`${failed.length} of ${batch.length} messages failed; first: ${first.message}`)
    },
    async close() {
      const topics = [...ready.values()]
      ready.clear()
      checking.clear()
      await Promise.allSettled(topics.map((t) => t.flush()))
      await client?.close()
      client = undefined
    },
  }
}

export const gcpPubsubOutputPlugin: Plugin<'output'> = {
  spec: outputSpec,
  create: (config: OutputConfig) => gcpPubsubOutput(config),
}
