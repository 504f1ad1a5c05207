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
import { awsClientConfig } from '@bento-ts/aws-sqs/aws'
import {
  type AckFn,
  type Batch,
  EndOfInput,
  type Input,
  type Logger,
  NotConnected,
  parseDuration,
} from '@bento-ts/core'
import {
  abortable,
  ByteReader,
  type ScannerConfig,
  type ScannerStream,
  SourceAcks,
  scannerFromConfig,
} from '@bento-ts/core/kit'
import { type NotificationPaths, objectsOf } from './notification.ts'
import { rfc3339, type S3ClientConfig, s3Client } from './s3.ts'

export interface S3SqsConfig extends NotificationPaths {
  url: string
  endpoint: string
  delay_period: string
  max_messages: number
  wait_time_seconds: number
}

export interface S3InputConfig extends S3ClientConfig, ScannerConfig {
  bucket: string
  prefix: string
  delete_objects: boolean
  sqs?: S3SqsConfig
}

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
  logger: Logger
  /** keys per ListObjectsV2 page (S3's default, 1000, when not given) */
  pageSize?: number
}

export function s3Input(config: S3InputConfig, options: S3InputOptions): Input {
  const { logger } = options
  const sqsConfig = config.sqs !== undefined && config.sqs.url !== '' ? config.sqs : undefined
  if (config.bucket === '' && sqsConfig === undefined) {
    throw new Error('aws_s3: either a bucket or an sqs.url must be specified')
  }
  if (config.prefix !== '' && sqsConfig !== undefined) {
    throw new Error('aws_s3: cannot specify both a prefix and sqs.url')
  }
  let delayMs = 0
  if (sqsConfig !== undefined && sqsConfig.delay_period !== '') {
    try {
      delayMs = parseDuration(sqsConfig.delay_period)
    } catch (err) {
      throw new Error(`aws_s3: sqs.delay_period: ${(err as Error).message}`)
    }
  }
  if (sqsConfig !== undefined && !(sqsConfig.max_messages >= 1 && sqsConfig.max_messages <= 10)) {
    throw new Error(`aws_s3: sqs.max_messages must be between 1 and 10, got ${sqsConfig.max_messages}`)
  }
  const scanners = (() => {
    try {
      return scannerFromConfig(config)
    } catch (err) {
      throw new Error(`aws_s3: ${(err as Error).message}`)
    }
  })()

  let s3: S3Client | undefined
  let sqs: SQSClient | undefined
  let targets: Targets | undefined
  /** an object taken from the targets but not opened yet (a read gave up while it was fetched) */
  let waiting: Target | undefined
  let current: OpenObject | undefined
  let closed = false

  const deleteObject = async (t: Target): Promise<void> => {
    if (!config.delete_objects) return
    await s3!.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: t.key }))
  }

  /** Downloads an object and starts scanning it; undefined when it no longer exists. */
  const open = async (target: Target, signal: AbortSignal): Promise<OpenObject | undefined> => {
    if (delayMs > 0 && target.notifiedAt !== undefined) {
      const wait = target.notifiedAt + delayMs - Date.now()
      if (wait > 0) await abortable(new Promise((resolve) => setTimeout(resolve, wait)), signal)
    }
    let object: GetObjectCommandOutput
    try {
      object = await s3!.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key }), {
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

  const closeCurrent = async (finished: boolean): Promise<void> => {
    const object = current
    current = undefined
    if (object === undefined) return
    await object.scanner.close()
    await object.acks.close(finished)
  }

  return {
    async connect(signal) {
      if (closed) throw new Error('aws_s3: input is closed')
      s3 ??= s3Client(config, 'aws_s3')
      if (sqsConfig !== undefined) {
        sqs ??= new SQSClient(
          awsClientConfig(
            { ...config, endpoint: sqsConfig.endpoint !== '' ? sqsConfig.endpoint : config.endpoint },
            'aws_s3',
          ),
        )
        targets ??= notifiedTargets(sqs, sqsConfig, config.bucket, deleteObject, logger)
        return
      }
      if (targets === undefined) {
        const listing = listedTargets(s3, config, options.pageSize, deleteObject)
        // The first page is read now: a missing bucket or a refused listing shows at connect.
        waiting = await listing.next(signal)
        targets = listing
      }
    },

    async read(signal): Promise<{ batch: Batch; ack: AckFn }> {
      if (targets === undefined || closed) throw new NotConnected()
      for (;;) {
        if (current === undefined) {
          const target = waiting ?? (await targets.next(signal))
          waiting = undefined
          if (target === undefined) {
            if (targets.finite) throw new EndOfInput()
            continue
          }
          try {
            current = await open(target, signal)
          } catch (err) {
            // Not lost: the next read tries this object again (its notification stays taken).
            waiting = target
            throw err
          }
          if (current === undefined) continue
        }
        const object = current
        let batch: Batch | undefined
        try {
          batch = await object.scanner.next(signal)
        } catch (err) {
          if (signal.aborted) throw err
          logger.error(
            `aws_s3: reading ${object.target.bucket}/${object.target.key}: ${(err as Error).message}`,
          )
          await object.acks.fail(err as Error)
          await closeCurrent(false)
          throw err
        }
        if (batch === undefined) {
          await closeCurrent(true)
          continue
        }
        for (const message of batch) {
          for (const [k, v] of object.metadata) message.metadata.set(k, v)
        }
        return { batch, ack: object.acks.track() }
      }
    },

    async close() {
      if (closed) return
      closed = true
      await closeCurrent(false)
      const left = waiting
      waiting = undefined
      if (left !== undefined) await left.done(new Error('service shutting down')).catch(() => {})
      await targets?.close()
    },
  }
}
