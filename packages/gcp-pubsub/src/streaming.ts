// The default way in: the client library's streaming pull. The library keeps the leases of the
// messages it handed out alive and stops pulling once max_outstanding_* are held; we queue what
// it hands out until the stream reads it.
import { NotConnected } from '@bento-ts/core'
import type { PubSub, Message as PubSubMessage } from '@google-cloud/pubsub'
import { errorText } from './client.ts'
import type { Delivery } from './delivery.ts'
import { Inbox } from './inbox.ts'

export interface Source {
  next(signal: AbortSignal): Promise<Delivery>
  /** stops receiving; what was received and not acknowledged goes back to Pub/Sub */
  close(): Promise<void>
}

export interface Limits {
  maxMessages: number
  maxBytes: number
}

export function fromLibrary(m: PubSubMessage): Delivery {
  return {
    data: m.data,
    attributes: m.attributes,
    id: m.id,
    publishTimeUnix: Math.floor(m.publishTime.getTime() / 1000),
    orderingKey: m.orderingKey ?? '',
    deliveryAttempt: m.deliveryAttempt,
    size: m.length,
    ack: () => m.ack(),
    nack: () => m.nack(),
  }
}

export function streamingSource(
  client: PubSub,
  subscription: string,
  limits: Limits,
  onError: (message: string) => void,
): Source {
  const sub = client.subscription(subscription, {
    // Strict limits: messages past them wait inside the library (leased) instead of piling up here.
    flowControl: { maxMessages: limits.maxMessages, maxBytes: limits.maxBytes, allowExcessMessages: false },
  })
  const inbox = new Inbox<Delivery>()
  const broken = (reason: string) => {
    if (inbox.failed) return
    // Queued messages were never handed out: closing the subscription nacks every lease it holds.
    inbox.fail(new NotConnected(reason))
    sub.close().catch(() => {})
  }
  sub.on('message', (m: PubSubMessage) => {
    if (!inbox.push(fromLibrary(m))) m.nack()
  })
  sub.on('error', (err: unknown) => {
    const reason = `gcp_pubsub input: subscription ${subscription}: ${errorText(err)}`
    onError(reason)
    broken(reason)
  })
  sub.on('close', () => broken(`gcp_pubsub input: subscription ${subscription} closed`))
  return {
    next: (signal) => inbox.take(signal),
    async close() {
      inbox.fail(new NotConnected(`gcp_pubsub input: subscription ${subscription} closed`))
      await sub.close()
    },
  }
}
