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
import { awsClientConfig, awsFields } from '@bento-ts/aws'
import {
  type AckFn,
  type ComponentContext,
  type ConfigOf,
  FieldError,
  field,
  type Input,
  type Logger,
  Message,
  NotConnected,
} from '@bento-ts/core'
import {
  abortable,
  defineInput,
  exponentialBackoff,
  type InputRead,
  inputSkeleton,
  pause,
} from '@bento-ts/core/kit'

const fields = [
  field.string('url', { description: 'The SQS URL to consume from.' }),
  field.bool('delete_message', {
    default: true,
    advanced: true,
    description:
      'Whether to delete a consumed message once it was delivered. Off: the deletion is left to something else, and the message reappears after its visibility timeout.',
  }),
  field.bool('reset_visibility', {
    default: true,
    advanced: true,
    description:
      'Whether a message that could not be delivered is made visible again at once (visibility timeout 0). Off: it reappears when the visibility timeout of the queue lapses.',
  }),
  field.bool('update_visibility', {
    default: true,
    advanced: true,
    description:
      'Whether to extend the visibility timeout of messages under way, so the queue does not hand them out again while they are still being processed.',
  }),
  field.int('max_number_of_messages', {
    default: 10,
    advanced: true,
    description: 'The most messages one poll may return, 1 to 10.',
  }),
  field.int('wait_time_seconds', {
    default: 0,
    advanced: true,
    description: 'How long one poll waits for messages to arrive (long polling), 0 to 20 seconds.',
  }),
  field.map('custom_request_headers', 'string', {
    default: {},
    advanced: true,
    description: 'HTTP headers added to every request this input sends to SQS.',
  }),
  ...awsFields,
] as const

export type SqsInputConfig = ConfigOf<typeof fields>

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

/** when a message's visibility timeout was last set (received or extended) */
interface Handle {
  refreshedAt: number
}

/** How often pending deletes and resets go out and in-flight messages are looked at. */
const tickMs = 1000

// Short polling an empty queue backs off from 10 ms up to a minute, as Bento does.
const emptyPollBackoff = () =>
  exponentialBackoff({ initialMs: 10, maxMs: 60_000, maxElapsedMs: 0, maxRetries: 0 })

/** What a unit test replaces: the client and the clock. */
export interface SqsInputSeams {
  /** makes the client; the default builds an SQSClient from the config */
  client?: () => SqsSender
  now?: () => number
}

/** One connection to the queue: the messages it received and handed out, and their acks. */
interface QueueSession {
  read(signal: AbortSignal): Promise<InputRead>
  /** Gives back what was received and not handed out, and sends the acks still pending. */
  close(): Promise<void>
}

function openSession(
  client: SqsSender,
  config: SqsInputConfig,
  visibilitySeconds: number,
  logger: Logger,
  now: () => number,
): QueueSession {
  const url = config.url
  const maxMessages = config.max_number_of_messages
  const waitSeconds = config.wait_time_seconds
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
  const flushes = new Set<Promise<void>>()
  let emptyBackoff = emptyPollBackoff()

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
      client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries })),
    )

  const setVisibility = (handles: readonly string[], seconds: number, what: string): Promise<void> =>
    inGroups(handles, what, (Entries) =>
      client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: Entries.map((e) => ({ ...e, VisibilityTimeout: seconds })),
        }),
      ),
    )

  const flushDeletes = (): void => {
    if (deletes.length === 0) return
    const handles = deletes
    deletes = []
    track(deleteNow(handles))
  }

  const flushResets = (): void => {
    if (resets.length === 0) return
    const handles = resets
    resets = []
    track(setVisibility(handles, 0, 'reset the visibility of'))
  }

  /** Extends the visibility of messages under way once half their timeout has passed. */
  const refresh = (): void => {
    if (!config.update_visibility || visibilitySeconds < 2) return
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

  const timer = setInterval(() => {
    flushDeletes()
    flushResets()
    refresh()
  }, tickMs)
  timer.unref()

  /** One poll; what it brings is buffered. Shared by concurrent reads, and survives a read given up on. */
  const receive = (): Promise<void> => {
    receiving ??= (async () => {
      try {
        const result = await client.send(
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
          if (m.ReceiptHandle !== undefined) inFlight.set(m.ReceiptHandle, { refreshedAt: at })
        }
        buffered.push(...messages)
        if (messages.length > 0 || waitSeconds > 0) emptyBackoff = emptyPollBackoff()
        if (messages.length === 0 && waitSeconds === 0) await pause(emptyBackoff() ?? 60_000, stopping.signal)
      } finally {
        receiving = undefined
      }
    })()
    return receiving
  }

  /** Deletes the message once delivered, makes it visible again when not; after close, at once. */
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
    async read(signal) {
      for (;;) {
        const next = buffered.shift()
        if (next !== undefined) {
          if (next.Body === undefined) {
            // Nothing to hand on; let it come back rather than delete what we did not read.
            if (next.ReceiptHandle !== undefined) inFlight.delete(next.ReceiptHandle)
            continue
          }
          return { batch: [toMessage(next)], acks: [ackOf(next)] }
        }
        await abortable(receive(), signal)
      }
    },

    async close() {
      if (closed) return
      closed = true
      clearInterval(timer)
      stopping.abort()
      await receiving?.catch(() => {})
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

/** The aws_sqs input over the input skeleton: one queue session per connection. */
export async function sqsInput(
  config: SqsInputConfig,
  context: ComponentContext,
  seams: SqsInputSeams = {},
): Promise<Input> {
  const { logger } = context
  const now = seams.now ?? Date.now
  const url = config.url
  if (url === '') throw new FieldError('url', 'must not be empty')
  const maxMessages = config.max_number_of_messages
  if (!(maxMessages >= 1 && maxMessages <= 10)) {
    throw new FieldError('max_number_of_messages', `must be between 1 and 10, got ${maxMessages}`)
  }
  const waitSeconds = config.wait_time_seconds
  if (!(waitSeconds >= 0 && waitSeconds <= 20)) {
    throw new FieldError('wait_time_seconds', `must be between 0 and 20, got ${waitSeconds}`)
  }
  const clientOptions = awsClientConfig(config)
  const makeClient =
    seams.client ??
    ((): SqsSender => {
      const client = new SQSClient(clientOptions)
      addRequestHeaders(client, config.custom_request_headers)
      return client
    })

  return inputSkeleton(config, context, {
    async connect(signal) {
      const client = makeClient()
      let visibilitySeconds = 30
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
          client.destroy()
          throw new NotConnected(`aws_sqs: cannot reach queue ${url}: ${(err as Error).message}`)
        }
        logger.warn(`aws_sqs: cannot read the visibility timeout of ${url}, assuming ${visibilitySeconds}s`)
      }
      return openSession(client, config, visibilitySeconds, logger, now)
    },
    read: (session, signal) => session.read(signal),
    disconnect: (session) => session.close(),
  })
}

export const sqsInputComponent = defineInput({
  name: 'aws_sqs',
  status: 'stable',
  categories: ['Services', 'AWS'],
  summary: 'Consume messages from an AWS SQS URL.',
  description:
    'One message per read. A message is deleted (DeleteMessageBatch) only once it was delivered; a message that could not be delivered is made visible again at once (visibility timeout 0), and while a message is under way its visibility timeout is extended, every half timeout of the queue. Adds the metadata `sqs_message_id`, `sqs_receipt_handle`, every SQS system attribute as `sqs_<snake_case>` (e.g. `sqs_approximate_receive_count`, `sqs_sent_timestamp`, `sqs_message_group_id`) and every message attribute under its own name.',
  fields,
  create: (config, context) => sqsInput(config, context),
})
