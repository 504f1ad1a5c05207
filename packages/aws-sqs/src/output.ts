// The aws_sqs output: each batch goes out with SendMessageBatch, at most 10 entries (and 256 KiB)
// per call. When SQS accepts some entries of a call and not others, only the ones it did not
// accept are sent again: entries that failed on SQS's side are retried with backoff, entries SQS
// refuses as malformed (a sender fault) end the write at once, since sending them again cannot
// succeed. A write that gives up fails with a BatchError naming only the messages SQS did not
// take, so the runtime retries those and nothing SQS accepted is sent twice.
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs'
import { awsClientConfig, awsFields } from '@bento-ts/aws'
import {
  type Batch,
  BatchError,
  type ComponentContext,
  type ConfigOf,
  FieldError,
  field,
  type Message,
  type Output,
} from '@bento-ts/core'
import {
  BatchView,
  backoffFromConfig,
  batchingField,
  defineOutput,
  type FieldInterpolation,
  goDuration,
  interpolation,
  type MetadataFilter,
  maxInFlightField,
  metadataExcludeField,
  metadataExcludeFilter,
  outputSkeleton,
  pause,
  retryBackoffFields,
} from '@bento-ts/core/kit'
import type { SqsSender } from './input.ts'

const fields = [
  field.string('url', { description: 'The URL of the target SQS queue.' }),
  field.interpolated('message_group_id', {
    optional: true,
    description: 'The message group ID of each message (FIFO queues).',
  }),
  field.interpolated('message_deduplication_id', {
    optional: true,
    description: 'The deduplication ID of each message (FIFO queues without content-based deduplication).',
  }),
  field.interpolated('delay_seconds', {
    optional: true,
    description: 'How long each message stays invisible after it was sent, 0 to 900 seconds.',
  }),
  maxInFlightField(64),
  metadataExcludeField('Which metadata is sent as message attributes: every key except these prefixes.'),
  batchingField,
  ...awsFields,
  ...retryBackoffFields(0, '1s', '5s', '30s'),
] as const

export type SqsOutputConfig = ConfigOf<typeof fields>

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

/** What a unit test replaces: the client. */
export interface SqsOutputSeams {
  client?: () => SqsSender
}

export function sqsOutput(
  config: SqsOutputConfig,
  context: Pick<ComponentContext, 'logger'>,
  seams: SqsOutputSeams = {},
): Output {
  const { logger } = context
  const url = config.url
  if (url === '') throw new FieldError('url', 'must not be empty')
  const optional = (source: string | undefined, name: string): FieldInterpolation | undefined =>
    source === undefined ? undefined : interpolation(name, source)
  const groupId = optional(config.message_group_id, 'message_group_id')
  const dedupeId = optional(config.message_deduplication_id, 'message_deduplication_id')
  const delay = optional(config.delay_seconds, 'delay_seconds')
  const filter = metadataExcludeFilter(config.metadata)
  const newBackoff = backoffFromConfig(config)
  const clientOptions = awsClientConfig(config)
  const makeClient = seams.client ?? ((): SqsSender => new SQSClient(clientOptions))

  const entryOf = (view: BatchView, i: number): SqsEntry => {
    const message = view.batch[i]!
    const entry: SqsEntry = { Id: String(i), MessageBody: message.text() }
    const attributes = sqsAttributes(message, filter)
    if (attributes !== undefined) entry.MessageAttributes = attributes
    if (groupId !== undefined) entry.MessageGroupId = groupId.text(view, i)
    if (dedupeId !== undefined) entry.MessageDeduplicationId = dedupeId.text(view, i)
    if (delay !== undefined) {
      const text = delay.text(view, i).trim()
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

  /**
   * The error of a write that gives up: the messages SQS did not take (the request under way and
   * the ones not sent yet) each with why, so only they are retried.
   */
  const givingUp = (
    batch: Batch,
    unsent: readonly SqsEntry[],
    refused: ReadonlyMap<string, Error>,
    message: string,
  ): BatchError => {
    const failures: [number, Error][] = [...refused].map(([id, error]) => [Number(id), error])
    const notSent = new Error(message)
    for (const e of unsent) if (!refused.has(e.Id)) failures.push([Number(e.Id), notSent])
    return new BatchError(batch, failures, message)
  }

  const write = async (client: SqsSender, batch: Batch, signal: AbortSignal): Promise<void> => {
    const view = new BatchView(batch)
    const queue = batch.map((_, i) => entryOf(view, i))
    const backoff = newBackoff()
    const giveUp = (reason: string): BatchError =>
      givingUp(batch, queue, new Map(), `aws_sqs: giving up on ${url}: ${reason}`)
    /** Waits before the next attempt; false once the backoff gives up. */
    const wait = async (reason: string): Promise<boolean> => {
      const ms = backoff()
      if (ms === undefined) return false
      logger.warn(`aws_sqs: ${reason}; retrying in ${goDuration(ms)}`)
      if (!(await pause(ms, signal))) throw signal.reason
      return true
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
        const reason = `sending ${entries.length} messages failed: ${(err as Error).message}`
        if (!(await wait(reason))) throw giveUp(reason)
        continue
      }
      if (failed.length === 0) continue
      const byId = new Map(entries.map((e) => [e.Id, e]))
      const again = failed.flatMap((f) => {
        const entry = f.Id === undefined ? undefined : byId.get(f.Id)
        return entry === undefined ? [] : [entry]
      })
      // Accepted entries are done; the ones SQS failed on its side go again, ahead of the rest.
      queue.unshift(...again)
      // moto answers the flag as the string "true"; AWS as a boolean.
      const refused = failed.filter((f) => String(f.SenderFault) === 'true')
      if (refused.length > 0) {
        const reasons = new Map<string, Error>()
        for (const f of refused) {
          if (f.Id === undefined || !byId.has(f.Id)) continue
          reasons.set(f.Id, new Error(`aws_sqs: SQS refused entry ${f.Id}: ${f.Code}: ${f.Message ?? ''}`))
        }
        throw givingUp(
          batch,
          queue,
          reasons,
          `aws_sqs: SQS refused ${refused.length} of ${entries.length} entries of a SendMessageBatch to ${url}: ${describe(refused)}`,
        )
      }
      const reason = `${failed.length} of ${entries.length} entries failed: ${describe(failed)}`
      if (!(await wait(reason))) throw giveUp(reason)
    }
  }

  return outputSkeleton(config, {
    connect: async () => makeClient(),
    write,
    disconnect: async (client) => client.destroy(),
  })
}

export const sqsOutputComponent = defineOutput({
  name: 'aws_sqs',
  status: 'stable',
  categories: ['Services', 'AWS'],
  summary: 'Sends messages to an SQS queue.',
  description:
    'Batches go out with SendMessageBatch, 10 entries per call. Metadata becomes String message attributes (the first 10 keys in alphabetical order, as SQS takes 10 at most). `message_group_id`, `message_deduplication_id` and `delay_seconds` are interpolated for each message. When SQS accepts part of a call, only the entries it failed on its side are sent again, with the backoff below; entries it refuses as malformed end the write. Either way the write fails only the messages SQS did not take: the ones it took are not sent again.',
  fields,
  create: (config, context) => sqsOutput(config, context),
})
