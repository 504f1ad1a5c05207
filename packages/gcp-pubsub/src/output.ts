// `gcp_pubsub` output: publishes each message to a topic (interpolated per message) with its
// metadata as attributes and an optional ordering key. The client library bundles publishes by
// count_threshold / delay_threshold / byte_threshold; a write resolves once Pub/Sub has stored
// every message of the batch.
import {
  BatchError,
  type ConfigOf,
  FieldError,
  field,
  type Message,
  type Output,
  parseDuration,
} from '@bento-ts/core'
import {
  abortable,
  BatchView,
  batchingField,
  defineOutput,
  type FieldInterpolation,
  interpolation,
  type MetadataFilter,
  maxInFlightField,
  metadataExcludeField,
  metadataExcludeFilter,
  metadataStrings,
  outputSkeleton,
} from '@bento-ts/core/kit'
import { type PublishOptions, PubSub, type Topic } from '@google-cloud/pubsub'
import { clientConfig, endpointField, errorText, tracingField } from './client.ts'
import { PublishGate } from './flow-control.ts'

const fields = [
  field.string('project', { description: 'The project ID of the topic to publish to.' }),
  field.interpolated('topic', { description: 'The topic to publish to.' }),
  endpointField,
  field.interpolated('ordering_key', {
    optional: true,
    advanced: true,
    description: 'The ordering key to use for publishing messages.',
  }),
  maxInFlightField(64),
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
] as const

export type OutputConfig = ConfigOf<typeof fields>

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
  topic: FieldInterpolation,
  orderingKey: FieldInterpolation | undefined,
  filter: MetadataFilter,
): Prepared {
  const name = topic.text(view, index)
  const key = orderingKey === undefined ? '' : orderingKey.text(view, index)
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

/** A client and the topics it has checked, ready to publish to (checks under way in `checking`). */
interface Connection {
  pubsub: PubSub
  ready: Map<string, Topic>
  checking: Map<string, Promise<Topic>>
}

export function gcpPubsubOutput(c: OutputConfig): Output {
  if (c.project.trim() === '') throw new FieldError('project', 'must not be empty')
  const topicName = interpolation('topic', c.topic)
  const orderingKey = c.ordering_key === undefined ? undefined : interpolation('ordering_key', c.ordering_key)
  const filter = metadataExcludeFilter(c.metadata)
  const options = publishOptions(c)
  const gate = new PublishGate({
    maxMessages: c.flow_control.max_outstanding_messages,
    maxBytes: c.flow_control.max_outstanding_bytes,
    behavior: c.flow_control.limit_exceeded_behavior,
  })

  const topicFor = ({ pubsub, ready, checking }: Connection, name: string): Promise<Topic> => {
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
    conn: Connection,
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
      const topic = conn.ready.get(prepared.topic)
      if (topic !== undefined) return send(topic, prepared, signal)
    } catch (err) {
      return Promise.reject(err)
    }
    return topicFor(conn, prepared.topic).then((topic) => send(topic, prepared, signal))
  }

  return outputSkeleton(c, {
    connect: async () => ({ pubsub: new PubSub(clientConfig(c)), ready: new Map(), checking: new Map() }),
    async write(conn, batch, signal) {
      const view = new BatchView(batch)
      const publishes = batch.map((m, i) => publishOne(conn, m, view, i, signal))
      const results = await abortable(Promise.allSettled(publishes), signal)
      const failures: [number, Error][] = []
      results.forEach((r, i) => {
        if (r.status === 'rejected') failures.push([i, r.reason as Error])
      })
      if (failures.length === 0) return
      if (batch.length === 1) throw failures[0]![1]
      // Pub/Sub stored the others: only the failed ones are retried.
      throw new BatchError(batch, failures)
    },
    async disconnect(conn) {
      const topics = [...conn.ready.values()]
      conn.ready.clear()
      conn.checking.clear()
      await Promise.allSettled(topics.map((t) => t.flush()))
      await conn.pubsub.close()
    },
  })
}

export const gcpPubsubOutputPlugin = defineOutput({
  name: 'gcp_pubsub',
  status: 'stable',
  categories: ['Services', 'GCP'],
  summary: 'Sends messages to a GCP Cloud Pub/Sub topic. Message metadata is sent as attributes.',
  description:
    'The topic must exist. With `ordering_key` set, messages of one key are published in the order ' +
    'they were written; keep `max_in_flight: 1` when that order must also hold across batches. ' +
    'A message with an empty payload and no attributes is refused (Pub/Sub rejects it).',
  fields,
  create: (config) => gcpPubsubOutput(config),
})
