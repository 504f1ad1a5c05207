// `nats_jetstream` input: a JetStream consumer with explicit acks. A message is acked only once
// the stream delivered it, and nacked (redelivered at once) when it failed; what is neither (the
// process died) comes back after `ack_wait`. At most `max_ack_pending` messages are unacked, so
// that is also the most this input ever holds and the most a crash can make arrive twice.
//
// As in Bento (whose Go client subscribes with a push consumer), the consumer is a push consumer
// with a deliver subject: created when missing (durable when `durable` or `queue` is set), reused
// through its own deliver subject and group when it exists. `bind` uses an existing consumer as
// it is, push or pull.

import {
  type AckFn,
  type ConfigOf,
  FieldError,
  field,
  type Logger,
  Message,
  NotConnected,
  parseDuration,
} from '@bento-ts/core'
import { defineInput, type InputDriver, inputSkeleton } from '@bento-ts/core/kit'
import {
  AckPolicy,
  type ConnectionOptions,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  createInbox,
  DeliverPolicy,
  type JetStreamManager,
  type MsgHdrs,
  nanos,
  ReplayPolicy,
  type Subscription,
} from 'nats'
import { setAckMetadata } from './ack-subject.ts'
import { connectionOptions, connectionTailFields, type Link, openLinkWith, urlsField } from './connection.ts'
import { setHeaderMetadata } from './headers.ts'
import { DeliveryQueue } from './queue.ts'
import { inputTracingFields } from './tracing.ts'

const fields = [
  urlsField,
  field.string('queue', { optional: true, description: 'An optional queue group to consume as.' }),
  field.string('subject', {
    optional: true,
    description:
      'A subject to consume from. Supports wildcards for consuming multiple subjects. Either a subject or stream must be specified.',
    examples: ['foo.bar.baz', 'foo.*.baz', 'foo.bar.*', 'foo.>'],
  }),
  field.string('durable', {
    optional: true,
    description: 'Preserve the state of your consumer under a durable name.',
  }),
  field.string('stream', {
    optional: true,
    description: 'A stream to consume from. Either a subject or stream must be specified.',
  }),
  field.bool('bind', {
    optional: true,
    description: 'Indicates that the subscription should use an existing consumer.',
  }),
  field.string('deliver', {
    default: 'all',
    options: ['all', 'last', 'last_per_subject', 'new'],
    description: 'Determines which messages to deliver when consuming without a durable subscriber.',
  }),
  field.string('ack_wait', {
    default: '30s',
    advanced: true,
    description: 'The maximum amount of time NATS server should wait for an ack from consumer.',
    examples: ['100ms', '5m'],
  }),
  field.int('max_ack_pending', {
    default: 1024,
    advanced: true,
    description: 'The maximum number of outstanding acks to be allowed before consuming is halted.',
  }),
  ...connectionTailFields,
  ...inputTracingFields,
] as const

export type JetStreamInputConfig = ConfigOf<typeof fields>

const component = 'nats_jetstream'

/** What a push subscription and a pull consumer both hand over. */
interface Delivery {
  subject: string
  reply?: string
  data: Uint8Array
  headers?: MsgHdrs
}

const encoder = new TextEncoder()
const ackPayload = encoder.encode('+ACK')
const nakPayload = encoder.encode('-NAK')
const settled = Promise.resolve()

const deliverPolicies: Record<JetStreamInputConfig['deliver'], DeliverPolicy> = {
  all: DeliverPolicy.All,
  last: DeliverPolicy.Last,
  last_per_subject: DeliverPolicy.LastPerSubject,
  new: DeliverPolicy.New,
}

const isNotFound = (err: unknown): boolean => {
  const e = err as { code?: string; api_error?: { code?: number; err_code?: number } }
  return e.api_error?.code === 404 || e.code === '404'
}

/** Checks the combination of fields the way Bento does, naming what is missing. */
export function checkJetStreamInput(c: JetStreamInputConfig): void {
  if (!(c.deliver in deliverPolicies))
    throw new FieldError('deliver', `"${c.deliver}" is not one of all, last, last_per_subject, new`)
  if (c.bind === true) {
    if ((c.stream ?? '') === '' && (c.durable ?? '') === '')
      throw new FieldError('bind', 'stream or durable is required when bind is true')
    if ((c.durable ?? '') === '')
      throw new FieldError('durable', 'durable is required when bind is true (the consumer to bind to)')
    if ((c.stream ?? '') === '' && (c.subject ?? '') === '')
      throw new FieldError('stream', 'stream or subject is required when bind is true (to find the stream)')
  } else if ((c.subject ?? '') === '') {
    throw new FieldError('subject', 'subject is empty (a subject is required unless bind is true)')
  }
  if (c.ack_wait !== '') {
    try {
      parseDuration(c.ack_wait)
    } catch (err) {
      throw new FieldError('ack_wait', `failed to parse duration: ${(err as Error).message}`)
    }
  }
}

/** The consumer this input creates when none exists. */
export function consumerConfig(c: JetStreamInputConfig, deliverSubject: string): Partial<ConsumerConfig> {
  const name = nonEmpty(c.durable) ?? nonEmpty(c.queue)
  const config: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: deliverPolicies[c.deliver],
    replay_policy: ReplayPolicy.Instant,
    deliver_subject: deliverSubject,
  }
  if (name !== undefined) config.durable_name = name
  const queue = nonEmpty(c.queue)
  if (queue !== undefined) config.deliver_group = queue
  const subject = nonEmpty(c.subject)
  if (subject !== undefined) config.filter_subject = subject
  if (c.ack_wait !== '') {
    const ms = parseDuration(c.ack_wait)
    if (ms > 0) config.ack_wait = nanos(ms)
  }
  if (c.max_ack_pending !== 0) config.max_ack_pending = c.max_ack_pending
  return config
}

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s)

/** A consumer subscription over its own connection. */
interface Consuming {
  link: Link
  queue: DeliveryQueue<Delivery>
  subscription?: Subscription
  pull?: ConsumerMessages
  /** the consumer is gone or the subscription ended: read fails with NotConnected, to subscribe again */
  broken: boolean
  closing: boolean
}

export const jetStreamInput = defineInput({
  name: 'nats_jetstream',
  status: 'stable',
  categories: ['Services'],
  summary: 'Reads messages from NATS JetStream subjects.',
  description:
    'Each message is acked once it was delivered by the outputs and nacked (redelivered at once) when it failed. Metadata: nats_subject, nats_sequence_stream, nats_sequence_consumer, nats_num_delivered, nats_num_pending, nats_domain, nats_timestamp_unix_nano (strings) and every header. The connection name is the component label.',
  fields,
  create(config, context) {
    checkJetStreamInput(config)
    const options = connectionOptions(component, config, context.label)
    return inputSkeleton(config, context, consumerDriver(config, options, context.logger))
  },
})

function consumerDriver(
  c: JetStreamInputConfig,
  options: ConnectionOptions,
  logger: Logger,
): InputDriver<Consuming> {
  const teardown = async (s: Consuming): Promise<void> => {
    try {
      s.subscription?.unsubscribe()
    } catch {
      // already closed with its connection
    }
    s.subscription = undefined
    await s.pull?.close().catch(() => {})
    s.pull = undefined
  }

  const breakWith = (s: Consuming, reason: string): void => {
    if (s.broken || s.closing) return
    s.broken = true
    logger.warn(`${component}: ${reason}; subscribing again`)
    s.queue.fail(new NotConnected(`${component}: ${reason}`))
  }

  const onDelivery = (s: Consuming, delivery: Delivery): void => {
    const status = delivery.headers?.code ?? 0
    if (status !== 0) {
      // Flow control asks for an empty reply; idle heartbeats need nothing.
      if (delivery.reply !== undefined && delivery.reply !== '') s.link.nc.publish(delivery.reply)
      return
    }
    s.queue.push(delivery)
  }

  const subscribe = async (s: Consuming, signal: AbortSignal, raced = false): Promise<void> => {
    const nc = s.link.nc
    const jsm: JetStreamManager = await nc.jetstreamManager()
    signal.throwIfAborted()
    let stream = nonEmpty(c.stream)
    if (stream === undefined) {
      try {
        stream = await jsm.streams.find(c.subject!)
      } catch (err) {
        throw new Error(`${component}: no stream holds subject ${c.subject}: ${(err as Error).message}`)
      }
    }
    const name = nonEmpty(c.durable) ?? nonEmpty(c.queue)
    let info: ConsumerInfo | undefined
    if (name !== undefined) {
      try {
        info = await jsm.consumers.info(stream, name)
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
    }
    signal.throwIfAborted()
    if (c.bind === true && info === undefined)
      throw new Error(`${component}: bind: consumer ${name} does not exist on stream ${stream}`)

    if (info !== undefined && (info.config.deliver_subject ?? '') === '') {
      if (c.bind !== true) {
        throw new Error(
          `${component}: consumer ${name} on stream ${stream} is a pull consumer; set bind: true to use it`,
        )
      }
      const consumer = await nc.jetstream().consumers.get(stream, name!)
      const pull = await consumer.consume({
        max_messages: Math.max(1, Math.min(info.config.max_ack_pending ?? 1024, 1024)),
        callback: (delivery) => onDelivery(s, delivery),
      })
      s.pull = pull
      void pull.closed().then(() => breakWith(s, `the pull consumer ${name} stopped`))
      return
    }

    let subscription: Subscription
    if (info !== undefined) {
      const cfg = info.config
      if (cfg.deliver_group === undefined && info.push_bound && c.bind !== true) {
        // Another subscriber holds it; a killed process lets go as soon as its socket closes.
        throw new Error(
          `${component}: consumer ${name} on stream ${stream} is already bound to a subscription`,
        )
      }
      if (c.bind !== true) await updateConsumer(jsm, stream, info)
      subscription = nc.subscribe(cfg.deliver_subject!, {
        ...(cfg.deliver_group !== undefined ? { queue: cfg.deliver_group } : {}),
        callback: (_err, msg) => onDelivery(s, msg),
      })
    } else {
      // Subscribe before the consumer exists, so nothing it delivers at once goes unheard.
      const deliverSubject = createInbox()
      const config = consumerConfig(c, deliverSubject)
      subscription = nc.subscribe(deliverSubject, {
        ...(config.deliver_group !== undefined ? { queue: config.deliver_group } : {}),
        callback: (_err, msg) => onDelivery(s, msg),
      })
      try {
        info = await jsm.consumers.add(stream, config)
      } catch (err) {
        subscription.unsubscribe()
        // Another member of the queue group (or a restarted process) created it first: use theirs.
        if (name !== undefined && !raced) return subscribe(s, signal, true)
        throw new Error(`${component}: creating a consumer on stream ${stream}: ${(err as Error).message}`)
      }
    }
    s.subscription = subscription
    void subscription.closed.then(() => breakWith(s, 'the subscription closed'))
    const consumerName = info.name
    const stopWatching = s.link.onUp(() => {
      // An ephemeral consumer may have been removed while the connection was down.
      jsm.consumers.info(stream, consumerName).then(
        () => {},
        (err) => {
          if (isNotFound(err)) breakWith(s, `consumer ${consumerName} is gone`)
        },
      )
    })
    void subscription.closed.then(stopWatching)
  }

  /** Brings ack_wait and max_ack_pending of an existing consumer to what the config asks for. */
  const updateConsumer = async (jsm: JetStreamManager, stream: string, info: ConsumerInfo) => {
    const wanted = consumerConfig(c, info.config.deliver_subject!)
    const update: Partial<ConsumerConfig> = {}
    if (wanted.ack_wait !== undefined && wanted.ack_wait !== info.config.ack_wait)
      update.ack_wait = wanted.ack_wait
    if (wanted.max_ack_pending !== undefined && wanted.max_ack_pending !== info.config.max_ack_pending)
      update.max_ack_pending = wanted.max_ack_pending
    if (Object.keys(update).length === 0) return
    try {
      await jsm.consumers.update(stream, info.name, update)
    } catch (err) {
      logger.warn(`${component}: could not update consumer ${info.name}: ${(err as Error).message}`)
    }
  }

  return {
    async connect(signal) {
      return openLinkWith(component, options, logger, signal, async (link) => {
        const s: Consuming = { link, queue: new DeliveryQueue<Delivery>(), broken: false, closing: false }
        try {
          await subscribe(s, signal)
        } catch (err) {
          s.closing = true
          await teardown(s)
          throw err
        }
        return s
      })
    },

    async read(s, signal) {
      const delivery = await s.queue.take(signal)
      const message = new Message(delivery.data)
      const metadata = message.metadata
      metadata.set('nats_subject', delivery.subject)
      setAckMetadata(metadata, delivery.reply)
      setHeaderMetadata(metadata, delivery.headers, true)
      const reply = delivery.reply
      const outbox = s.link.outbox
      const ack: AckFn = (error) => {
        if (reply === undefined || reply === '') return settled
        try {
          outbox.publish(reply, error === undefined ? ackPayload : nakPayload)
        } catch (err) {
          // The connection closed: JetStream redelivers after ack_wait either way.
          return Promise.reject(new Error(`${component}: acknowledging: ${(err as Error).message}`))
        }
        return settled
      }
      return { batch: [message], acks: [ack] }
    },

    async disconnect(s) {
      s.closing = true
      // What was delivered but not read stays unacked: JetStream sends it again after ack_wait.
      await teardown(s)
      s.queue.fail(new NotConnected(`${component}: closed`))
      await s.link.close()
    },
  }
}
