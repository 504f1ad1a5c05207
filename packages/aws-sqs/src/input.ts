// The aws_sqs input: long or short polls a queue, hands out one message per read, deletes a
// message only once it was delivered (ack) and makes it visible again at once when it was not
// (nack). While a message is under way its visibility timeout is extended, so the queue does not
// hand it to another consumer in the meantime.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message as SqsMessage,
} from '@aws-sdk/client-sqs'
import { type AckFn, type Input, type Logger, Message, NotConnected } from '@bento-ts/core'
import { abortable, exponentialBackoff, pause } from '@bento-ts/core/kit'
import { type AwsConfig, awsClientConfig } from './aws.ts'

export interface SqsInputConfig extends AwsConfig {
  url: string
  delete_message: boolean
  reset_visibility: boolean
  update_visibility: boolean
  max_number_of_messages: number
  wait_time_seconds: number
  custom_request_headers: Record<string, string>
}

/** The part of the SQS client the input uses (a real SQSClient, or a fake in unit tests). */
export interface SqsSender {
  // biome-ignore lint/suspicious/noExplicitAny: commands of several shapes go through one send
  send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any>
  destroy(): void
}

const isLower = (ch: string): boolean => ch !== ch.toUpperCase() && ch === ch.toLowerCase()

/**
 * Bento's name for an SQS system attribute as metadata: `sqs_` and the name in snake case, runs
 * of capitals kept together (`ApproximateReceiveCount` → `sqs_approximate_receive_count`,
 * `AWSTraceHeader` → `sqs_aws_trace_header`).
 */
export function sqsMetadataKey(attribute: string): string {
  const chars = [...attribute]
  let out = 'sqs_'
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!
    if (isLower(ch)) {
      out += ch
      continue
    }
    const prev = chars[i - 1]
    const next = chars[i + 1]
    if (i > 0 && ((prev !== undefined && isLower(prev)) || (next !== undefined && isLower(next)))) out += '_'
    out += ch.toLowerCase()
  }
  return out
}

const decoder = new TextDecoder()

/** The message as bento-ts hands it on: the body, with the SQS ids, system and message attributes as metadata. */
export function toMessage(m: SqsMessage): Message {
  const message = new Message(m.Body ?? '')
  const meta = message.metadata
  meta.set('sqs_message_id', m.MessageId ?? '')
  meta.set('sqs_receipt_handle', m.ReceiptHandle ?? '')
  for (const [name, value] of Object.entries(m.Attributes ?? {})) {
    if (value !== undefined) meta.set(sqsMetadataKey(name), value)
  }
  for (const [name, value] of Object.entries(m.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) meta.set(name, value.StringValue)
    else if (value.BinaryValue !== undefined) meta.set(name, decoder.decode(value.BinaryValue))
  }
  return message
}

/** Adds fixed HTTP headers to every request the client makes (`custom_request_headers`). */
export function addRequestHeaders(client: SQSClient, headers: Record<string, string>): void {
  if (Object.keys(headers).length === 0) return
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> }
      if (request.headers !== undefined) Object.assign(request.headers, headers)
      return next(args)
    },
    { step: 'build', name: 'bentoCustomRequestHeaders' },
  )
}

interface Handle {
  receiptHandle: string
  /** when its visibility timeout was last set (received or extended) */
  refreshedAt: number
}

/** How often pending deletes and resets go out and in-flight messages are looked at. */
const tickMs = 1000

export interface SqsInputOptions {
  logger: Logger
  /** makes the client; the default builds an SQSClient from the config */
  client?: () => SqsSender
  now?: () => number
}

export function sqsInput(config: SqsInputConfig, options: SqsInputOptions): Input {
  const { logger } = options
  const now = options.now ?? Date.now
  const url = config.url
  if (url === '') throw new Error('aws_sqs: url must not be empty')
  const maxMessages = config.max_number_of_messages
  if (!(maxMessages >= 1 && maxMessages <= 10)) {
    throw new Error(`aws_sqs: max_number_of_messages must be between 1 and 10, got ${maxMessages}`)
  }
  const waitSeconds = config.wait_time_seconds
  if (!(waitSeconds >= 0 && waitSeconds <= 20)) {
    throw new Error(`aws_sqs: wait_time_seconds must be between 0 and 20, got ${waitSeconds}`)
  }
  const makeClient =
    options.client ??
    ((): SqsSender => {
      const client = new SQSClient(awsClientConfig(config, 'aws_sqs'))
      addRequestHeaders(client, config.custom_request_headers)
      return client
    })

  let client: SqsSender | undefined
  let closed = false
  /** cancels the background calls (a poll under way) at close */
  const stopping = new AbortController()
  /** received and not yet handed out */
  let buffered: SqsMessage[] = []
  let receiving: Promise<void> | undefined
  /** handed out or buffered, by receipt handle: the ones whose visibility we extend */
  const inFlight = new Map<string, Handle>()
  let deletes: string[] = []
  let resets: string[] = []
  /** the queue's visibility timeout, read at connect */
  let visibilitySeconds = 30
  let timer: NodeJS.Timeout | undefined
  const flushes = new Set<Promise<void>>()
  // Short polling an empty queue backs off from 10 ms up to a minute, as Bento does.
  let emptyBackoff = exponentialBackoff({ initialMs: 10, maxMs: 60_000, maxElapsedMs: 0, maxRetries: 0 })

  /** Runs `work` in the background and remembers it, so close can wait for it. */
  const track = (work: Promise<void>): void => {
    const tracked = work.finally(() => flushes.delete(tracked))
    flushes.add(tracked)
  }

  /**
   * Calls `send` for each group of at most 10 receipt handles; logs the entries SQS refused (an
   * extension that fails is only worth a debug line: the message may just have been deleted).
   */
  const inGroups = async (
    handles: readonly string[],
    what: string,
    send: (
      entries: { Id: string; ReceiptHandle: string }[],
    ) => Promise<{ Failed?: { Id?: string; Code?: string; Message?: string }[] }>,
  ): Promise<void> => {
    const log = what.startsWith('extend') ? logger.debug.bind(logger) : logger.error.bind(logger)
    for (let i = 0; i < handles.length; i += 10) {
      const entries = handles.slice(i, i + 10).map((h, j) => ({ Id: String(j), ReceiptHandle: h }))
      try {
        const result = await send(entries)
        for (const f of result.Failed ?? []) {
          log(`aws_sqs: failed to ${what} message ${f.Id}: ${f.Code}: ${f.Message ?? ''}`)
        }
      } catch (err) {
        log(`aws_sqs: failed to ${what} ${entries.length} messages: ${(err as Error).message}`)
      }
    }
  }

  const deleteNow = (handles: readonly string[]): Promise<void> =>
    inGroups(handles, 'delete', (Entries) =>
      client!.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries })),
    )

  const setVisibility = (handles: readonly string[], seconds: number, what: string): Promise<void> =>
    inGroups(handles, what, (Entries) =>
      client!.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: Entries.map((e) => ({ ...e, VisibilityTimeout: seconds })),
        }),
      ),
    )

  const flushDeletes = (): void => {
    if (deletes.length === 0 || client === undefined) return
    const handles = deletes
    deletes = []
    track(deleteNow(handles))
  }

  const flushResets = (): void => {
    if (resets.length === 0 || client === undefined) return
    const handles = resets
    resets = []
    track(setVisibility(handles, 0, 'reset the visibility of'))
  }

  /** Extends the visibility of messages under way once half their timeout has passed. */
  const refresh = (): void => {
    if (!config.update_visibility || client === undefined || visibilitySeconds < 2) return
    const due: string[] = []
    const at = now()
    for (const [receiptHandle, handle] of inFlight) {
      if (at - handle.refreshedAt >= (visibilitySeconds * 1000) / 2) {
        due.push(receiptHandle)
        handle.refreshedAt = at
      }
    }
    if (due.length > 0) track(setVisibility(due, visibilitySeconds, 'extend the visibility of'))
  }

  const tick = (): void => {
    flushDeletes()
    flushResets()
    refresh()
  }

  /** One poll; what it brings is buffered. Shared by concurrent reads, and survives a read given up on. */
  const receive = (): Promise<void> => {
    receiving ??= (async () => {
      try {
        const result = await client!.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: maxMessages,
            WaitTimeSeconds: waitSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: stopping.signal },
        )
        const messages: SqsMessage[] = result.Messages ?? []
        const at = now()
        for (const m of messages) {
          if (m.ReceiptHandle !== undefined)
            inFlight.set(m.ReceiptHandle, { receiptHandle: m.ReceiptHandle, refreshedAt: at })
        }
        buffered.push(...messages)
        if (messages.length > 0 || waitSeconds > 0) {
          emptyBackoff = exponentialBackoff({ initialMs: 10, maxMs: 60_000, maxElapsedMs: 0, maxRetries: 0 })
        }
        if (messages.length === 0 && waitSeconds === 0) await pause(emptyBackoff() ?? 60_000, stopping.signal)
      } finally {
        receiving = undefined
      }
    })()
    return receiving
  }

  const ackOf = (m: SqsMessage): AckFn => {
    const receiptHandle = m.ReceiptHandle
    let done = false
    return async (error) => {
      if (done || receiptHandle === undefined) return
      done = true
      inFlight.delete(receiptHandle)
      if (error === undefined) {
        if (!config.delete_message) return
        if (closed) return deleteNow([receiptHandle])
        deletes.push(receiptHandle)
        if (deletes.length >= maxMessages) flushDeletes()
        return
      }
      if (!config.reset_visibility) return
      if (closed) return setVisibility([receiptHandle], 0, 'reset the visibility of')
      resets.push(receiptHandle)
      if (resets.length >= maxMessages) flushResets()
    }
  }

  return {
    async connect(signal) {
      if (closed) throw new Error('aws_sqs: input is closed')
      client ??= makeClient()
      try {
        const result = await client.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }),
          { abortSignal: signal },
        )
        const seconds = Number(result.Attributes?.VisibilityTimeout)
        if (Number.isFinite(seconds)) visibilitySeconds = seconds
      } catch (err) {
        const name = (err as Error).name
        // Reading the timeout is a convenience: a consumer may lack the permission.
        if (name !== 'AccessDenied' && name !== 'AccessDeniedException') {
          throw new NotConnected(`aws_sqs: cannot reach queue ${url}: ${(err as Error).message}`)
        }
        logger.warn(`aws_sqs: cannot read the visibility timeout of ${url}, assuming ${visibilitySeconds}s`)
      }
      timer ??= setInterval(tick, tickMs)
      timer.unref()
    },

    async read(signal) {
      if (client === undefined || closed) throw new NotConnected()
      for (;;) {
        const next = buffered.shift()
        if (next !== undefined) {
          if (next.Body === undefined) {
            // Nothing to hand on; let it come back rather than delete what we did not read.
            if (next.ReceiptHandle !== undefined) inFlight.delete(next.ReceiptHandle)
            continue
          }
          return { batch: [toMessage(next)], ack: ackOf(next) }
        }
        await abortable(receive(), signal)
      }
    },

    async close() {
      if (closed) return
      closed = true
      if (timer !== undefined) clearInterval(timer)
      stopping.abort()
      await receiving?.catch(() => {})
      if (client === undefined) return
      // Received but never handed out: visible again at once for whoever reads next.
      const unread = buffered.flatMap((m) => (m.ReceiptHandle === undefined ? [] : [m.ReceiptHandle]))
      buffered = []
      for (const h of unread) inFlight.delete(h)
      resets.push(...unread)
      flushDeletes()
      flushResets()
      while (flushes.size > 0) await Promise.all(flushes)
    },
  }
}
