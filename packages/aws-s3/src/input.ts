// The aws_s3 input: objects of a bucket (listed under a prefix, or named by S3 event
// notifications read from an SQS queue) are downloaded as streams and split into messages by a
// scanner. An object is deleted (`delete_objects`) and its notification removed from the queue
// only once every message read from it was delivered.
import type { Readable } from 'node:stream'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3'
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message as SqsMessage,
} from '@aws-sdk/client-sqs'
import { awsClientConfig, awsFields } from '@bento-ts/aws'
import {
  type Batch,
  type ComponentContext,
  type ConfigOf,
  EndOfInput,
  FieldError,
  field,
  type Input,
  type Logger,
  parseDuration,
} from '@bento-ts/core'
import {
  abortable,
  ByteReader,
  codecFields,
  defineInput,
  type InputRead,
  inputSkeleton,
  type ScannerConfig,
  type ScannerStream,
  SourceAcks,
  scannerFromConfig,
} from '@bento-ts/core/kit'
import { objectsOf } from './notification.ts'
import { checksumFields, forcePathStyleField, rfc3339, s3ClientOf } from './s3.ts'

const sqsFields = [
  field.string('url', {
    default: '',
    description:
      'An SQS queue of S3 event notifications: when set, the objects they name are read instead of a listing.',
  }),
  field.string('endpoint', {
    default: '',
    advanced: true,
    description: 'A custom endpoint for SQS; empty: the `endpoint` of the component.',
  }),
  field.string('key_path', {
    default: 'Records.*.s3.object.key',
    description: 'A dot path to the object keys in a notification (`*`: every element).',
  }),
  field.string('bucket_path', {
    default: 'Records.*.s3.bucket.name',
    description:
      'A dot path to the bucket names in a notification; the n-th key goes with the n-th bucket, `bucket` otherwise.',
  }),
  field.string('envelope_path', {
    default: '',
    description:
      'A dot path to a JSON string holding the notification inside the SQS message: `Message` for notifications that reach SQS through SNS.',
    examples: ['Message'],
  }),
  field.string('delay_period', {
    default: '',
    advanced: true,
    description: 'Wait this long after a notification was sent before downloading its object (a duration).',
    examples: ['10s', '5m'],
  }),
  field.int('max_messages', {
    default: 10,
    advanced: true,
    description: 'The most notifications one poll may return, 1 to 10.',
  }),
  field.int('wait_time_seconds', {
    default: 0,
    advanced: true,
    description: 'How long one poll waits for notifications to arrive (long polling), 0 to 20 seconds.',
  }),
] as const

// core's codecFields are typed as plain field specs: the config type names their fields itself
// (ScannerConfig), from the fields around them.
const leading = [
  field.string('bucket', {
    default: '',
    description:
      'The bucket to read; may be left empty when `sqs.url` is set and the notifications name the bucket.',
  }),
  field.string('prefix', {
    default: '',
    description: 'Read only the objects whose key starts with this (listing mode).',
  }),
  ...awsFields,
  forcePathStyleField,
  field.bool('delete_objects', {
    default: false,
    advanced: true,
    description: 'Delete each object once every message read from it was delivered.',
  }),
] as const

const trailing = [
  field.object('sqs', sqsFields, {
    optional: true,
    description:
      'Read the objects named by S3 event notifications in an SQS queue instead of listing the bucket.',
  }),
  ...checksumFields,
] as const

const fields = [...leading, ...codecFields('to_the_end'), ...trailing] as const

export type S3InputConfig = ConfigOf<readonly [...typeof leading, ...typeof trailing]> & ScannerConfig
export type S3SqsConfig = NonNullable<S3InputConfig['sqs']>

/** An object to read, and what to do once it was delivered (or not). */
interface Target {
  bucket: string
  key: string
  /** when its notification was sent (ms), for `sqs.delay_period` */
  notifiedAt?: number
  /** with no error once every message of the object was delivered */
  done: (error?: Error) => Promise<void>
}

interface Targets {
  /** The next object; undefined when there are no more (listing) or none yet (notifications). */
  next(signal: AbortSignal): Promise<Target | undefined>
  /** Gives back objects taken but not read (at close). */
  close(): Promise<void>
  /** whether running dry ends the input */
  readonly finite: boolean
}

const errorName = (err: unknown): string => (err as { name?: string }).name ?? ''

/** Objects listed under the prefix, page by page (ListObjectsV2). */
function listedTargets(
  s3: S3Client,
  config: S3InputConfig,
  pageSize: number | undefined,
  deleteObject: (t: Target) => Promise<void>,
): Targets {
  let listed: Target[] = []
  let token: string | undefined
  let more = true
  return {
    finite: true,
    async next(signal) {
      while (listed.length === 0 && more) {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: config.bucket,
            ...(config.prefix === '' ? {} : { Prefix: config.prefix }),
            ...(token === undefined ? {} : { ContinuationToken: token }),
            ...(pageSize === undefined ? {} : { MaxKeys: pageSize }),
          }),
          { abortSignal: signal },
        )
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue
          const target: Target = {
            bucket: config.bucket,
            key: object.Key,
            done: async (error) => {
              if (error === undefined) await deleteObject(target)
            },
          }
          listed.push(target)
        }
        token = page.NextContinuationToken
        more = page.IsTruncated === true && token !== undefined
      }
      return listed.shift()
    },
    async close() {
      listed = []
    },
  }
}

/**
 * Objects named by S3 event notifications in an SQS queue. A notification is deleted once every
 * object it names was delivered, and made visible again at once when one was not. Notifications
 * naming no object are left alone: they come back after the queue's visibility timeout (and go to
 * its dead-letter queue, if it has one).
 */
function notifiedTargets(
  sqs: SQSClient,
  sqsConfig: S3SqsConfig,
  bucket: string,
  deleteObject: (t: Target) => Promise<void>,
  logger: Logger,
): Targets {
  const url = sqsConfig.url
  let pending: Target[] = []
  let idleUntil = 0

  const settle = (m: SqsMessage, count: number): ((error?: Error) => Promise<void>) => {
    let left = count
    let nacked = false
    return async (error) => {
      if (nacked) return
      if (error !== undefined) {
        nacked = true
        logger.debug(`aws_s3: making notification ${m.MessageId} visible again: ${error.message}`)
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: url,
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        return
      }
      if (--left === 0)
        await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }))
    }
  }

  return {
    finite: false,
    async next(signal) {
      const queued = pending.shift()
      if (queued !== undefined) return queued
      const wait = idleUntil - Date.now()
      if (wait > 0) {
        await abortable(new Promise((resolve) => setTimeout(resolve, wait)), signal)
      }
      const result = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: sqsConfig.max_messages,
          WaitTimeSeconds: sqsConfig.wait_time_seconds,
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
        { abortSignal: signal },
      )
      const messages = result.Messages ?? []
      // An empty short poll: ask again in half a second rather than at once.
      idleUntil = messages.length === 0 ? Date.now() + 500 : 0
      for (const m of messages) {
        let objects: { bucket: string; key: string }[]
        try {
          objects = objectsOf(m.Body ?? '', sqsConfig, bucket)
        } catch (err) {
          logger.error(`aws_s3: SQS message ${m.MessageId}: ${(err as Error).message}`)
          continue
        }
        if (objects.length === 0) {
          logger.debug(`aws_s3: SQS message ${m.MessageId} names no object`)
          continue
        }
        const sent = Number(m.Attributes?.SentTimestamp)
        const notification = settle(m, objects.length)
        for (const o of objects) {
          const target: Target = {
            ...o,
            ...(sent > 0 ? { notifiedAt: sent } : {}),
            done: async (error) => {
              if (error === undefined) await deleteObject(target)
              await notification(error)
            },
          }
          pending.push(target)
        }
      }
      return pending.shift()
    },
    async close() {
      const left = pending
      pending = []
      await Promise.allSettled(left.map((t) => t.done(new Error('service shutting down'))))
    },
  }
}

interface OpenObject {
  target: Target
  scanner: ScannerStream
  acks: SourceAcks
  metadata: [string, unknown][]
}

/** The metadata every message of an object carries. */
function objectMetadata(target: Target, object: GetObjectCommandOutput): [string, unknown][] {
  const meta: [string, unknown][] = [
    ['s3_key', target.key],
    ['s3_bucket', target.bucket],
  ]
  if (object.LastModified !== undefined) {
    meta.push(['s3_last_modified', rfc3339(object.LastModified)])
    meta.push(['s3_last_modified_unix', Math.floor(object.LastModified.getTime() / 1000)])
  }
  if (object.ContentType !== undefined) meta.push(['s3_content_type', object.ContentType])
  if (object.ContentEncoding !== undefined) meta.push(['s3_content_encoding', object.ContentEncoding])
  if (object.VersionId !== undefined && object.VersionId !== 'null')
    meta.push(['s3_version_id', object.VersionId])
  for (const [k, v] of Object.entries(object.Metadata ?? {})) meta.push([k, v])
  return meta
}

export interface S3InputOptions {
  /** keys per ListObjectsV2 page (S3's default, 1000, when not given) */
  pageSize?: number
}

/** One connection: the clients, where the objects come from, and the object being read. */
interface Session {
  s3: S3Client
  targets: Targets
  /** an object taken from the targets but not opened yet (a read gave up while it was fetched) */
  waiting: Target | undefined
  current: OpenObject | undefined
}

export async function s3Input(
  config: S3InputConfig,
  context: ComponentContext,
  options: S3InputOptions = {},
): Promise<Input> {
  const { logger } = context
  const sqsConfig = config.sqs !== undefined && config.sqs.url !== '' ? config.sqs : undefined
  if (config.bucket === '' && sqsConfig === undefined) {
    throw new FieldError('bucket', 'either a bucket or an sqs.url must be specified')
  }
  if (config.prefix !== '' && sqsConfig !== undefined) {
    throw new FieldError('prefix', 'cannot specify both a prefix and sqs.url')
  }
  let delayMs = 0
  if (sqsConfig !== undefined && sqsConfig.delay_period !== '') {
    try {
      delayMs = parseDuration(sqsConfig.delay_period)
    } catch (err) {
      throw new FieldError('sqs.delay_period', (err as Error).message, { cause: err })
    }
  }
  if (sqsConfig !== undefined && !(sqsConfig.max_messages >= 1 && sqsConfig.max_messages <= 10)) {
    throw new FieldError('sqs.max_messages', `must be between 1 and 10, got ${sqsConfig.max_messages}`)
  }
  const scanners = (() => {
    try {
      return scannerFromConfig(config)
    } catch (err) {
      throw new FieldError('scanner', (err as Error).message, { cause: err })
    }
  })()
  const newS3 = s3ClientOf(config)
  const sqsOptions =
    sqsConfig === undefined
      ? undefined
      : awsClientConfig({
          ...config,
          endpoint: sqsConfig.endpoint !== '' ? sqsConfig.endpoint : config.endpoint,
        })

  /** Downloads an object and starts scanning it; undefined when it no longer exists. */
  const open = async (s3: S3Client, target: Target, signal: AbortSignal): Promise<OpenObject | undefined> => {
    if (delayMs > 0 && target.notifiedAt !== undefined) {
      const wait = target.notifiedAt + delayMs - Date.now()
      if (wait > 0) await abortable(new Promise((resolve) => setTimeout(resolve, wait)), signal)
    }
    let object: GetObjectCommandOutput
    try {
      object = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key }), {
        abortSignal: signal,
      })
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') {
        logger.warn(`aws_s3: object ${target.bucket}/${target.key} no longer exists, skipping it`)
        await target.done().catch((e: Error) => logger.error(`aws_s3: ${e.message}`))
        return undefined
      }
      throw err
    }
    const scanner = scanners.create(new ByteReader(object.Body as Readable))
    const acks = new SourceAcks((error) =>
      target
        .done(error)
        .catch((e: Error) => logger.error(`aws_s3: acknowledging ${target.key}: ${e.message}`)),
    )
    return { target, scanner, acks, metadata: objectMetadata(target, object) }
  }

  const closeCurrent = async (session: Session, finished: boolean): Promise<void> => {
    const object = session.current
    session.current = undefined
    if (object === undefined) return
    await object.scanner.close()
    await object.acks.close(finished)
  }

  const read = async (session: Session, signal: AbortSignal): Promise<InputRead> => {
    for (;;) {
      if (session.current === undefined) {
        const target = session.waiting ?? (await session.targets.next(signal))
        session.waiting = undefined
        if (target === undefined) {
          if (session.targets.finite) throw new EndOfInput()
          continue
        }
        try {
          session.current = await open(session.s3, target, signal)
        } catch (err) {
          // Not lost: the next read tries this object again (its notification stays taken).
          session.waiting = target
          throw err
        }
        if (session.current === undefined) continue
      }
      const object = session.current
      let batch: Batch | undefined
      try {
        batch = await object.scanner.next(signal)
      } catch (err) {
        if (signal.aborted) throw err
        logger.error(
          `aws_s3: reading ${object.target.bucket}/${object.target.key}: ${(err as Error).message}`,
        )
        await object.acks.fail(err as Error)
        await closeCurrent(session, false)
        throw err
      }
      if (batch === undefined) {
        await closeCurrent(session, true)
        continue
      }
      for (const message of batch) {
        for (const [k, v] of object.metadata) message.metadata.set(k, v)
      }
      return { batch, ack: object.acks.track() }
    }
  }

  // A listing has no way to ask again for what was not delivered: the skeleton replays it instead.
  // Notifications go back to their queue.
  return inputSkeleton(sqsConfig === undefined ? { auto_replay_nacks: true } : {}, context, {
    async connect(signal) {
      const s3 = newS3()
      const deleteObject = async (t: Target): Promise<void> => {
        if (!config.delete_objects) return
        await s3.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: t.key }))
      }
      if (sqsOptions !== undefined && sqsConfig !== undefined) {
        const sqs = new SQSClient(sqsOptions)
        const targets = notifiedTargets(sqs, sqsConfig, config.bucket, deleteObject, logger)
        return { s3, targets, waiting: undefined, current: undefined }
      }
      const targets = listedTargets(s3, config, options.pageSize, deleteObject)
      try {
        // The first page is read now: a missing bucket or a refused listing shows at connect.
        const waiting = await targets.next(signal)
        return { s3, targets, waiting, current: undefined }
      } catch (err) {
        s3.destroy()
        throw err
      }
    },
    read,
    async disconnect(session) {
      await closeCurrent(session, false)
      const left = session.waiting
      session.waiting = undefined
      if (left !== undefined) await left.done(new Error('service shutting down')).catch(() => {})
      await session.targets.close()
    },
  })
}

export const s3InputComponent = defineInput({
  name: 'aws_s3',
  status: 'stable',
  categories: ['Services', 'AWS'],
  summary:
    'Downloads objects of an Amazon S3 bucket, listed under a prefix or named by S3 event notifications read from SQS.',
  description:
    'Each object is streamed through the `scanner` (the whole object by default). An object is deleted (`delete_objects`) only once every message read from it was delivered; in notification mode its SQS message is deleted then too, and made visible again when a message could not be delivered. Adds the metadata `s3_key`, `s3_bucket`, `s3_last_modified_unix`, `s3_last_modified` (RFC 3339), `s3_content_type`, `s3_content_encoding`, `s3_version_id` and every user metadata key of the object.',
  fields,
  create: (config, context) => s3Input(config, context),
})
