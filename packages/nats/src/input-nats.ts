// `nats` input: a core NATS subscription, optionally in a queue group (members share the
// messages). Core NATS keeps nothing: what arrives while nobody listens is gone, and a message
// that failed is replayed from memory (`auto_replay_nacks`) or answered with a NAK on its reply
// subject. After a message is delivered, its reply subject (if any) gets the sync response the
// stream gave (a `sync_response` processor or output: request-reply), else `+ACK` (`send_ack`).

import {
  type AckFn,
  autoReplayNacks,
  type ComponentContext,
  field,
  type Input,
  Message,
  NotConnected,
  type Plugin,
  parseDuration,
  SyncResponseStore,
  syncResponseKey,
  syncResponsesExpected,
} from '@bento-ts/core'
import { type Msg, type MsgHdrs, headers as newHeaders, type Subscription } from 'nats'
import { type ConnectionConfig, connectionTailFields, type Link, openLink, urlsField } from './connection.ts'
import { setHeaderMetadata } from './headers.ts'
import { DeliveryQueue } from './queue.ts'
import { inputTracingFields } from './tracing.ts'

export interface NatsInputConfig extends ConnectionConfig {
  subject: string
  queue?: string
  auto_replay_nacks: boolean
  nak_delay?: string
  prefetch_count: number
  send_ack: boolean
}

const component = 'nats'
const encoder = new TextEncoder()
const ackPayload = encoder.encode('+ACK')
const settled = Promise.resolve()

/** What a failed message's reply subject gets: `-NAK`, with the delay in nanoseconds when one is set. */
export function nakPayload(delayMs: number): Uint8Array {
  if (delayMs <= 0) return encoder.encode('-NAK')
  return encoder.encode(`-NAK {"delay": ${Math.round(delayMs * 1e6)}}`)
}

/** The reply to a request: the response's payload, its metadata as headers. */
export function responseHeaders(response: Message): MsgHdrs | undefined {
  let h: MsgHdrs | undefined
  for (const key of response.metadata.keys()) {
    if (key === syncResponseKey) continue
    h ??= newHeaders()
    h.append(key, response.metaString(key) ?? '')
  }
  return h
}

export function natsInput(
  c: NatsInputConfig,
  context: Pick<ComponentContext, 'label' | 'logger' | 'resources'>,
): Input {
  const { label, logger } = context
  if (c.prefetch_count < 0)
    throw new Error(
      `${component}: prefetch_count: must be greater than or equal to zero (got ${c.prefetch_count})`,
    )
  let nakDelayMs = 0
  if (c.nak_delay !== undefined) {
    try {
      nakDelayMs = parseDuration(c.nak_delay)
    } catch (err) {
      throw new Error(`${component}: nak_delay: ${(err as Error).message}`)
    }
  }
  const nak = nakPayload(nakDelayMs)
  const queue = new DeliveryQueue<Msg>(c.prefetch_count)
  let link: Link | undefined
  let subscription: Subscription | undefined
  let closed = false
  /** whether the stream gives sync responses (known once every component exists) */
  let answering = false
  let dropped = 0
  let droppedLogged = 0

  const onMessage = (msg: Msg): void => {
    if (queue.push(msg)) return
    // Like a Go channel subscription that is full: the client is a slow consumer and drops.
    dropped++
    const now = Date.now()
    if (now - droppedLogged >= 1000) {
      droppedLogged = now
      logger.error(
        `${component}: slow consumer: ${dropped} messages dropped so far (prefetch_count is ${c.prefetch_count})`,
      )
    }
  }

  return {
    async connect(signal) {
      if (closed) throw new NotConnected(`${component}: closed`)
      answering = syncResponsesExpected(context)
      if (link !== undefined && !link.closed && subscription !== undefined && !subscription.isClosed()) return
      queue.reset()
      if (link === undefined || link.closed) link = await openLink(component, c, label, logger, signal)
      const nc = link.nc
      const sub = nc.subscribe(c.subject, {
        ...(c.queue !== undefined && c.queue !== '' ? { queue: c.queue } : {}),
        callback: (err, msg) => {
          if (err === null) onMessage(msg)
        },
      })
      subscription = sub
      void sub.closed.then(() => {
        if (subscription === sub && !closed) queue.fail(new NotConnected(`${component}: subscription closed`))
      })
      // The server has the subscription once it answered a ping: from here nothing is missed.
      await nc.flush()
    },

    async read(signal) {
      const msg = await queue.take(signal)
      const message = new Message(msg.data)
      const metadata = message.metadata
      metadata.set('nats_subject', msg.subject)
      metadata.set('nats_reply_subject', msg.reply ?? '')
      setHeaderMetadata(metadata, msg.headers, false)
      const reply = msg.reply
      const store = answering && reply !== undefined && reply !== '' ? new SyncResponseStore() : undefined
      if (store !== undefined) metadata.set(syncResponseKey, store)
      const outbox = link!.outbox
      const ack: AckFn = (error) => {
        if (reply === undefined || reply === '') return settled
        try {
          const response = error === undefined ? store?.messages[0] : undefined
          if (response !== undefined) outbox.publish(reply, response.bytes(), '', responseHeaders(response))
          else if (error !== undefined) outbox.publish(reply, nak)
          else if (c.send_ack) outbox.publish(reply, ackPayload)
        } catch (err) {
          return Promise.reject(new Error(`${component}: replying to ${reply}: ${(err as Error).message}`))
        }
        return settled
      }
      return { batch: [message], ack }
    },

    async close() {
      closed = true
      queue.fail(new NotConnected(`${component}: closed`))
      try {
        subscription?.unsubscribe()
      } catch {
        // closed with its connection
      }
      await link?.close()
    },
  }
}

export const natsInputPlugin: Plugin<'input'> = {
  spec: {
    name: 'nats',
    kind: 'input',
    status: 'stable',
    categories: ['Services'],
    summary: 'Subscribe to a NATS subject.',
    description:
      'Metadata: nats_subject, nats_reply_subject and every message header. When a message has a reply subject (a request), it is answered once delivered: with the sync response of the stream (a `sync_response` processor or output; its metadata become headers) when there is one, else with `+ACK` (send_ack); a failed message gets `-NAK` when auto_replay_nacks is off. The connection name is the component label.',
    fields: [
      urlsField,
      field.string('subject', {
        description:
          'A subject to consume from. Supports wildcards for consuming multiple subjects. Either a subject or stream must be specified.',
        examples: ['foo.bar.baz', 'foo.*.baz', 'foo.bar.*', 'foo.>'],
      }),
      field.string('queue', { optional: true, description: 'An optional queue group to consume as.' }),
      field.bool('auto_replay_nacks', {
        default: true,
        description:
          'Whether messages that are rejected (nacked) at the output level should be automatically replayed indefinitely, eventually resulting in back pressure if the cause of the rejections is persistent. If set to `false` these messages will instead be deleted. Disabling auto replays can greatly improve memory efficiency of high throughput streams as the original shape of the data can be discarded immediately upon consumption and mutation.',
      }),
      field.duration('nak_delay', {
        optional: true,
        advanced: true,
        description: 'An optional delay duration on redelivering a message when negatively acknowledged.',
        examples: ['1m'],
      }),
      field.int('prefetch_count', {
        default: 500000,
        advanced: true,
        description: 'The maximum number of messages to pull at a time.',
      }),
      field.bool('send_ack', {
        default: true,
        advanced: true,
        description:
          "Whether to send an acknowledgement back to the input subject's reply address after delivering a message.",
      }),
      ...connectionTailFields,
      ...inputTracingFields,
    ],
  },
  create(config: NatsInputConfig, context) {
    const input = natsInput(config, context)
    // Without replays a failed message goes back to its sender as a NAK (Bento passes the nack on).
    return config.auto_replay_nacks ? autoReplayNacks(input) : input
  },
}
