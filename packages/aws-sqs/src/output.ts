// The aws_sqs output: each batch goes out with SendMessageBatch, at most 10 entries (and 256 KiB)
// per call. When SQS accepts some entries of a call and not others, only the ones it did not
// accept are sent again: entries that failed on SQS's side are retried with backoff, entries SQS
// refuses as malformed (a sender fault) fail the write at once, since sending them again cannot
// succeed. Either way nothing SQS accepted is sent twice by the output itself.
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs'
import { type Batch, type Logger, type Message, NotConnected } from '@bento-ts/core'
import {
  BatchView,
  backoffFromConfig,
  goDuration,
  type Interpolated,
  interpolated,
  type MetadataFilter,
  metadataExcludeFilter,
  pause,
  type RetryBackoffConfig,
} from '@bento-ts/core/kit'
import { type AwsConfig, awsClientConfig } from './aws.ts'
import type { SqsSender } from './input.ts'

export interface SqsOutputConfig extends AwsConfig, RetryBackoffConfig {
  url: string
  message_group_id?: string
  message_deduplication_id?: string
  delay_seconds?: string
  metadata: { exclude_prefixes: string[] }
}

/** One SendMessageBatch entry, with the bytes it counts towards the request limit. */
export interface SqsEntry {
  Id: string
  MessageBody: string
  MessageAttributes?: Record<string, { DataType: 'String'; StringValue: string }>
  MessageGroupId?: string
  MessageDeduplicationId?: string
  DelaySeconds?: number
}

/** SQS takes at most 10 entries and 256 KiB of bodies and attributes per SendMessageBatch. */
export const maxEntries = 10
export const maxRequestBytes = 256 * 1024

// SQS attribute names: letters, digits, `_`, `-` and `.`; no leading, trailing or double dot; no
// `aws.` or `amazon.` prefix (any case).
const invalidAttributeName = /(^\.)|(\.\.)|(^aws\.)|(^amazon\.)|(\.$)|([^a-z0-9_\-.]+)/

export const isValidAttributeName = (key: string): boolean => !invalidAttributeName.test(key.toLowerCase())

/**
 * The metadata a message carries as SQS message attributes: the keys the filter lets through
 * and SQS accepts as names, in alphabetical order, at most 10 (SQS's limit). Empty values are
 * left out: SQS refuses an attribute without a value.
 */
export function sqsAttributes(
  message: Message,
  filter: MetadataFilter,
): Record<string, { DataType: 'String'; StringValue: string }> | undefined {
  const keys = [...message.metadata.keys()]
    .filter((k) => filter(k) && isValidAttributeName(k) && (message.metaString(k) ?? '') !== '')
    .sort()
    .slice(0, 10)
  if (keys.length === 0) return undefined
  const out: Record<string, { DataType: 'String'; StringValue: string }> = {}
  for (const k of keys) out[k] = { DataType: 'String', StringValue: message.metaString(k)! }
  return out
}

const entryBytes = (e: SqsEntry): number => {
  let n = Buffer.byteLength(e.MessageBody)
  for (const [k, v] of Object.entries(e.MessageAttributes ?? {})) {
    n += Buffer.byteLength(k) + Buffer.byteLength(v.StringValue) + v.DataType.length
  }
  return n
}

/** Takes the next request's entries off the front of `queue`: at most 10, within the size limit. */
export function takeRequest(queue: SqsEntry[]): SqsEntry[] {
  let bytes = 0
  let n = 0
  while (n < queue.length && n < maxEntries) {
    const size = entryBytes(queue[n]!)
    if (n > 0 && bytes + size > maxRequestBytes) break
    bytes += size
    n++
  }
  return queue.splice(0, n)
}

interface Failure {
  Id?: string
  SenderFault?: boolean
  Code?: string
  Message?: string
}

const describe = (failures: readonly Failure[]): string =>
  failures.map((f) => `entry ${f.Id}: ${f.Code}: ${f.Message ?? ''}`).join('; ')

export interface SqsOutputOptions {
  logger: Logger
  client?: () => SqsSender
}

export interface SqsWriter {
  connect(): Promise<void>
  write(batch: Batch, signal: AbortSignal): Promise<void>
  close(): Promise<void>
}

export function sqsOutput(config: SqsOutputConfig, options: SqsOutputOptions): SqsWriter {
  const { logger } = options
  const url = config.url
  if (url === '') throw new Error('aws_sqs: url must not be empty')
  const optional = (source: string | undefined, what: string): Interpolated | undefined =>
    source === undefined ? undefined : interpolated(source, what)
  const groupId = optional(config.message_group_id, 'message_group_id')
  const dedupeId = optional(config.message_deduplication_id, 'message_deduplication_id')
  const delay = optional(config.delay_seconds, 'delay_seconds')
  const filter = metadataExcludeFilter(config.metadata)
  const newBackoff = backoffFromConfig(config)
  const makeClient = options.client ?? ((): SqsSender => new SQSClient(awsClientConfig(config, 'aws_sqs')))
  let client: SqsSender | undefined

  const entryOf = (view: BatchView, i: number): SqsEntry => {
    const message = view.batch[i]!
    const entry: SqsEntry = { Id: String(i), MessageBody: message.text() }
    const attributes = sqsAttributes(message, filter)
    if (attributes !== undefined) entry.MessageAttributes = attributes
    const render = (field: Interpolated, what: string): string => {
      try {
        return field.text(view, i)
      } catch (err) {
        throw new Error(`aws_sqs: ${what} interpolation: ${(err as Error).message}`)
      }
    }
    if (groupId !== undefined) entry.MessageGroupId = render(groupId, 'message_group_id')
    if (dedupeId !== undefined) entry.MessageDeduplicationId = render(dedupeId, 'message_deduplication_id')
    if (delay !== undefined) {
      const text = render(delay, 'delay_seconds').trim()
      // The range (0 to 900 s, none on FIFO queues) is SQS's to judge, entry by entry.
      if (!/^\+?\d+$/.test(text)) {
        throw new Error(
          `aws_sqs: delay_seconds must be a whole number of seconds, got ${JSON.stringify(text)}`,
        )
      }
      entry.DelaySeconds = Number(text)
    }
    return entry
  }

  return {
    async connect() {
      client ??= makeClient()
    },

    async write(batch, signal) {
      if (client === undefined) throw new NotConnected()
      const view = new BatchView(batch)
      const queue = batch.map((_, i) => entryOf(view, i))
      const backoff = newBackoff()
      const wait = async (reason: string): Promise<void> => {
        const ms = backoff()
        if (ms === undefined) throw new Error(`aws_sqs: giving up on ${url}: ${reason}`)
        logger.warn(`aws_sqs: ${reason}; retrying in ${goDuration(ms)}`)
        if (!(await pause(ms, signal))) throw signal.reason
      }
      while (queue.length > 0) {
        const entries = takeRequest(queue)
        let failed: Failure[]
        try {
          const result = await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }), {
            abortSignal: signal,
          })
          failed = result.Failed ?? []
        } catch (err) {
          if (signal.aborted) throw err
          queue.unshift(...entries)
          await wait(`sending ${entries.length} messages failed: ${(err as Error).message}`)
          continue
        }
        if (failed.length === 0) continue
        // moto answers the flag as the string "true"; AWS as a boolean.
        const refused = failed.filter((f) => String(f.SenderFault) === 'true')
        if (refused.length > 0) {
          throw new Error(
            `aws_sqs: SQS refused ${refused.length} of ${entries.length} entries of a SendMessageBatch to ${url}: ${describe(refused)}`,
          )
        }
        // Accepted entries are done; the ones SQS failed on its side go again, ahead of the rest.
        const byId = new Map(entries.map((e) => [e.Id, e]))
        const again = failed.flatMap((f) => {
          const entry = f.Id === undefined ? undefined : byId.get(f.Id)
          return entry === undefined ? [] : [entry]
        })
        queue.unshift(...again)
        await wait(`${failed.length} of ${entries.length} entries failed: ${describe(failed)}`)
      }
    },

    async close() {
      client?.destroy()
      client = undefined
    },
  }
}
