// One received Pub/Sub message as the input hands it on, whichever way it was pulled.
import { Message } from '@bento-ts/core'

export interface Delivery {
  data: Uint8Array
  attributes: Record<string, string>
  id: string
  /** whole seconds since the epoch */
  publishTimeUnix: number
  /** '' when the message has none */
  orderingKey: string
  /** 0 unless the subscription has a dead-letter policy */
  deliveryAttempt: number
  /** bytes the flow control counts for it */
  size: number
  ack(): void
  nack(): void
}

export const metaKeys = {
  publishTime: 'gcp_pubsub_publish_time_unix',
  messageId: 'gcp_pubsub_message_id',
  deliveryAttempt: 'gcp_pubsub_delivery_attempt',
  orderingKey: 'gcp_pubsub_ordering_key',
} as const

/**
 * The message the stream sees: the payload, every attribute, then Bento's own keys (set after the
 * attributes, so an attribute of the same name cannot hide them). The delivery attempt and the
 * ordering key are only present when Pub/Sub gave one.
 */
export function toMessage(d: Delivery): Message {
  const metadata = new Map<string, unknown>(Object.entries(d.attributes))
  metadata.set(metaKeys.publishTime, d.publishTimeUnix)
  metadata.set(metaKeys.messageId, d.id)
  if (d.deliveryAttempt > 0) metadata.set(metaKeys.deliveryAttempt, d.deliveryAttempt)
  if (d.orderingKey !== '') metadata.set(metaKeys.orderingKey, d.orderingKey)
  return Message.adopt(d.data, metadata)
}

/** A protobuf Timestamp's seconds, which arrive as a number, a decimal string or a Long. */
export function timestampSeconds(
  seconds: number | string | { toNumber(): number } | null | undefined,
): number {
  if (seconds === null || seconds === undefined) return 0
  if (typeof seconds === 'number') return seconds
  if (typeof seconds === 'string') return Number(seconds)
  return seconds.toNumber()
}
