// `nats` input: a core NATS subscription, optionally in a queue group (members share the
// messages). Core NATS keeps nothing: what arrives while nobody listens is gone, and a message
// that failed is replayed from memory (`auto_replay_nacks`) or answered with a NAK on its reply
// subject. After a message is delivered, its reply subject (if any) gets the sync response the
// stream gave (a `sync_response` processor or output: request-reply), else `+ACK` (`send_ack`).

import {
  type AckFn,
  FieldError,
  field,
  Message,
  NotConnected,
  parseDuration,
  SyncResponseStore,
  syncResponseKey,
  syncResponsesExpected,
} from '@bento-ts/core'
import { autoReplayNacksField, defineInput, inputSkeleton } from '@bento-ts/core/kit'
import { type Msg, type MsgHdrs, headers as newHeaders, type Subscription } from 'nats'
import { connectionOptions, connectionTailFields, type Link, openLinkWith, urlsField } from './connection.ts'
import { setHeaderMetadata } from './headers.ts'
import { DeliveryQueue } from './queue.ts'
import { inputTracingFields } from './tracing.ts'

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

const fields = [
  urlsField,
  field.string('subject', {
    description:
      'A subject to consume from. Supports wildcards for consuming multiple subjects. Either a subject or stream must be specified.',
    examples: ['foo.bar.baz', 'foo.*.baz', 'foo.bar.*', 'foo.>'],
  }),
  field.string('queue', { optional: true, description: 'An optional queue group to consume as.' }),
  autoReplayNacksField(),
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
] as const

/** One subscription over its own connection. */
interface Subscribed {
  link: Link
  subscription: Subscription
  queue: DeliveryQueue<Msg>
  closing: boolean
}

export const natsInput = defineInput({
  name: 'nats',
  status: 'stable',
  categories: ['Services'],
  summary: 'Subscribe to a NATS subject.',
  description:
    'Metadata: nats_subject, nats_reply_subject and every message header. When a message has a reply subject (a request), it is answered once delivered: with the sync response of the stream (a `sync_response` processor or output; its metadata become headers) when there is one, else with `+ACK` (send_ack); a failed message gets `-NAK` when auto_replay_nacks is off. The connection name is the component label.',
  fields,
  create(config, context) {
    const { logger } = context
    if (config.prefetch_count < 0)
      throw new FieldError(
        'prefetch_count',
        `must be greater than or equal to zero (got ${config.prefetch_count})`,
      )
    let nakDelayMs = 0
    if (config.nak_delay !== undefined) {
      try {
        nakDelayMs = parseDuration(config.nak_delay)
      } catch (err) {
        throw new FieldError('nak_delay', (err as Error).message)
      }
    }
    const options = connectionOptions(component, config, context.label)
    const nak = nakPayload(nakDelayMs)
    /** whether the stream gives sync responses (known once every component exists) */
    let answering = false
    let dropped = 0
    let droppedLogged = 0

    const onMessage = (queue: DeliveryQueue<Msg>, msg: Msg): void => {
      if (queue.push(msg)) return
      // Like a Go channel subscription that is full: the client is a slow consumer and drops.
      dropped++
      const now = Date.now()
      if (now - droppedLogged >= 1000) {
        droppedLogged = now
        logger.error(
          `${component}: slow consumer: ${dropped} messages dropped so far (prefetch_count is ${config.prefetch_count})`,
        )
      }
    }

    // Without replays a failed message goes back to its sender as a NAK (Bento passes the nack
    // on), so the skeleton must not turn nacks into acks: it is only given the field when on.
    const { auto_replay_nacks, ...withoutReplays } = config
    return inputSkeleton(auto_replay_nacks ? config : withoutReplays, context, {
      async connect(signal): Promise<Subscribed> {
        answering = syncResponsesExpected(context)
        return openLinkWith(component, options, logger, signal, async (link) => {
          const queue = new DeliveryQueue<Msg>(config.prefetch_count)
          const subscription = link.nc.subscribe(config.subject, {
            ...(config.queue !== undefined && config.queue !== '' ? { queue: config.queue } : {}),
            callback: (err, msg) => {
              if (err === null) onMessage(queue, msg)
            },
          })
          const subscribed: Subscribed = { link, subscription, queue, closing: false }
          void subscription.closed.then(() => {
            if (!subscribed.closing) queue.fail(new NotConnected(`${component}: subscription closed`))
          })
          // The server has the subscription once it answered a ping: from here nothing is missed.
          await link.nc.flush()
          return subscribed
        })
      },

      async read(s, signal) {
        const msg = await s.queue.take(signal)
        const message = new Message(msg.data)
        const metadata = message.metadata
        metadata.set('nats_subject', msg.subject)
        metadata.set('nats_reply_subject', msg.reply ?? '')
        setHeaderMetadata(metadata, msg.headers, false)
        const reply = msg.reply
        const store = answering && reply !== undefined && reply !== '' ? new SyncResponseStore() : undefined
        if (store !== undefined) metadata.set(syncResponseKey, store)
        const outbox = s.link.outbox
        const ack: AckFn = (error) => {
          if (reply === undefined || reply === '') return settled
          try {
            const response = error === undefined ? store?.messages[0] : undefined
            if (response !== undefined) outbox.publish(reply, response.bytes(), '', responseHeaders(response))
            else if (error !== undefined) outbox.publish(reply, nak)
            else if (config.send_ack) outbox.publish(reply, ackPayload)
          } catch (err) {
            return Promise.reject(new Error(`${component}: replying to ${reply}: ${(err as Error).message}`))
          }
          return settled
        }
        return { batch: [message], ack }
      },

      async disconnect(s) {
        s.closing = true
        s.queue.fail(new NotConnected(`${component}: closed`))
        try {
          s.subscription.unsubscribe()
        } catch {
          // closed with its connection
        }
        await s.link.close()
      },
    })
  },
})
