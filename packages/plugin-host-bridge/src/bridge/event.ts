// What a trigger hands the workflow for a message: a connector event {id, foreign_id, type,
// headers, created_at}. By default: a stable id, no foreign id, the subscription's action as type,
// the metadata as headers, the source's timestamp when the input gives one. A subscription's
// `event: <bloblang>` may compute any of the fields (the rest keep their defaults).
import { type Executor, parse, toStringValue, typeOf, type Value } from '@bento-ts/bloblang'
import type { Message } from '@bento-ts/core'
import { toInput } from '@bento-ts/core/kit'
import { stableId } from './envelope.ts'

export interface ConnectorEvent {
  id: string
  foreign_id: string
  type: string
  headers: Record<string, string>
  /** RFC 3339 */
  created_at: string
}

// Source timestamps by connector (Bento's metadata names), with their unit.
const timestamps: readonly [string, number][] = [
  ['kafka_timestamp_unix_ms', 1],
  ['kafka_timestamp_unix', 1000],
  ['gcp_pubsub_publish_time_unix', 1000],
  ['nats_timestamp_unix_nano', 1e-6],
  ['s3_last_modified_unix', 1000],
  ['sqs_sent_timestamp', 1],
  ['created_at_unix_ms', 1],
]

/** When the message was created at its source (ms since the epoch), if its input says. */
export function sourceTimestampMs(message: Message): number | undefined {
  for (const [key, unit] of timestamps) {
    const raw = message.metaString(key)
    if (raw === undefined || raw === '') continue
    const n = Number(raw)
    if (Number.isFinite(n) && n > 0) return n * unit
  }
  return undefined
}

export function defaultEvent(message: Message, type: string, now: number): ConnectorEvent {
  const headers: Record<string, string> = {}
  for (const key of message.metadata.keys()) headers[key] = message.metaString(key) ?? ''
  return {
    id: stableId(message),
    foreign_id: '',
    type,
    headers,
    created_at: new Date(sourceTimestampMs(message) ?? now).toISOString(),
  }
}

export type EventMapper = (message: Message, type: string, now: number) => ConnectorEvent

/** The subscription's event mapper; throws (with the Bloblang error) when `mapping` does not parse. */
export function eventMapper(mapping: string | undefined): EventMapper {
  if (mapping === undefined || mapping.trim() === '') return defaultEvent
  const executor: Executor = parse(mapping)
  return (message, type, now) => {
    const event = defaultEvent(message, type, now)
    const { value } = executor.applyRaw(toInput(message), {})
    if (typeOf(value as Value) !== 'object') {
      throw new Error(`event mapping must produce an object, got ${typeOf(value as Value)}`)
    }
    const o = value as Record<string, Value>
    if (o.id !== undefined) event.id = toStringValue(o.id)
    if (o.foreign_id !== undefined) event.foreign_id = toStringValue(o.foreign_id)
    if (o.type !== undefined) event.type = toStringValue(o.type)
    if (o.headers !== undefined) {
      if (typeOf(o.headers) !== 'object') throw new Error('event mapping: headers must be an object')
      event.headers = {}
      for (const [k, v] of Object.entries(o.headers as Record<string, Value>))
        event.headers[k] = toStringValue(v)
    }
    if (o.created_at !== undefined) event.created_at = timeText(o.created_at)
    return event
  }
}

function timeText(v: Value): string {
  const t = typeOf(v)
  if (t === 'number') {
    // unix seconds, or milliseconds when it is clearly too large for seconds
    const n = Number(toStringValue(v))
    return new Date(n > 1e11 ? n : n * 1000).toISOString()
  }
  const text = toStringValue(v)
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) throw new Error(`event mapping: created_at "${text}" is not a timestamp`)
  return new Date(ms).toISOString()
}
