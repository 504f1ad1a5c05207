// What every message crossing the bridge carries in its metadata: a stable id (idempotency key),
// where it entered, and how many times it has crossed from the plugin to the host. The depth is
// what stops loops (an output of ours feeding an input of ours, a trigger publishing back).
import { createHash } from 'node:crypto'
import type { Logger, Message } from '@bento-ts/core'

export const idKey = 'event_id'
export const sourceKey = 'event_source'
export const depthKey = 'propagation_depth'
export const defaultMaxDepth = 3

// Metadata that identifies a message at its source, per connector (Bento's names): the same
// message redelivered gets the same id.
const identities: readonly (readonly string[])[] = [
  ['kafka_topic', 'kafka_partition', 'kafka_offset'],
  ['sqs_message_id'],
  ['gcp_pubsub_message_id'],
  ['nats_sequence_stream', 'nats_subject'],
  ['redis_stream'],
  ['s3_bucket', 's3_key', 's3_last_modified_unix'],
]

/**
 * The message's id: kept when it already has one, else derived from its source identity, else a
 * hash of its content and metadata (stable across redeliveries of the same message).
 */
export function stableId(message: Message): string {
  const existing = message.metaString(idKey)
  if (existing !== undefined && existing !== '') return existing
  for (const keys of identities) {
    const values = keys.map((k) => message.metaString(k))
    if (values.every((v) => v !== undefined)) return hashOf(keys.join('|'), values.join('|'))
  }
  const h = createHash('sha256')
  h.update(message.bytes())
  for (const key of [...message.metadata.keys()].sort()) {
    if (key === depthKey || key === sourceKey) continue
    h.update(`\0${key}\0${message.metaString(key) ?? ''}`)
  }
  return h.digest('hex').slice(0, 32)
}

const hashOf = (what: string, values: string): string =>
  createHash('sha256').update(what).update('\0').update(values).digest('hex').slice(0, 32)

/** The depth a message arrived with (0 when it never crossed the bridge). */
export function depthOf(message: Message | Record<string, string>): number {
  const raw = isMessage(message) ? message.metaString(depthKey) : message[depthKey]
  const n = raw === undefined ? 0 : Number.parseInt(raw, 10)
  return Number.isFinite(n) && n > 0 ? n : 0
}

const isMessage = (m: Message | Record<string, string>): m is Message =>
  typeof (m as Message).metaString === 'function'

/**
 * Stamps a message leaving the plugin for the host: id, source (kept when set), depth + 1.
 * Returns the new depth, or undefined when the message reached the limit and must not go on.
 */
export function stampOutgoing(message: Message, source: string, maxDepth: number): number | undefined {
  const depth = depthOf(message) + 1
  if (depth > maxDepth) return undefined
  message.metadata.set(idKey, stableId(message))
  if (!message.metadata.has(sourceKey)) message.metadata.set(sourceKey, source)
  message.metadata.set(depthKey, String(depth))
  return depth
}

/** Counts messages stopped by the depth limit; logs once per loop (per source and topic), not per message. */
export class LoopGuard {
  readonly #logger: Logger
  readonly #seen = new Set<string>()
  stopped = 0

  constructor(logger: Logger) {
    this.#logger = logger
  }

  stop(message: Message, where: string, maxDepth: number): void {
    this.stopped++
    const loop = `${message.metaString(sourceKey) ?? '?'} → ${where}`
    if (this.#seen.has(loop)) return
    this.#seen.add(loop)
    this.#logger.warn('message loop stopped: propagation depth limit reached; not forwarded again', {
      loop,
      max_depth: maxDepth,
      event_id: message.metaString(idKey),
    })
  }
}
