// The aws_s3 output: each message becomes an object at its interpolated path. Uploads go through
// lib-storage's Upload, which sends a small object with one PutObject and a large one (over the
// 5 MiB part size) as a multipart upload, parts in parallel.
import type { S3Client, StorageClass } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { awsFields } from '@bento-ts/aws'
import {
  BatchError,
  type ComponentContext,
  type ConfigOf,
  FieldError,
  field,
  type Output,
  parseDuration,
} from '@bento-ts/core'
import {
  BatchView,
  batchingField,
  defineOutput,
  type FieldInterpolation,
  interpolation,
  interpolationMap,
  maxInFlightField,
  metadataExcludeField,
  metadataExcludeFilter,
  outputSkeleton,
} from '@bento-ts/core/kit'
import { checksumFields, forcePathStyleField, s3ClientOf } from './s3.ts'

export const storageClasses = [
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'GLACIER',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'DEEP_ARCHIVE',
] as const

export const checksumAlgorithms = ['', 'CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const

const fields = [
  field.interpolated('bucket', { description: 'The bucket to upload to.' }),
  field.interpolated('path', {
    default: '${!count("files")}-${!timestamp_unix_nano()}.txt',
    description: 'The key of each object.',
    examples: [
      '${!count("files")}-${!timestamp_unix_nano()}.txt',
      '${!meta("kafka_key")}.json',
      '${!json("doc.namespace")}/${!json("doc.id")}.json',
    ],
  }),
  field.map('tags', 'string', {
    default: {},
    description: 'Tags of each object; values are interpolated.',
    examples: [{ Key1: 'Value1', Timestamp: '${!meta("Timestamp")}' }],
  }),
  field.interpolated('content_type', {
    default: 'application/octet-stream',
    description: 'The content type of each object.',
  }),
  field.interpolated('content_encoding', {
    default: '',
    advanced: true,
    description: 'The content encoding of each object.',
  }),
  field.interpolated('cache_control', {
    default: '',
    advanced: true,
    description: 'The cache control of each object.',
  }),
  field.interpolated('content_disposition', {
    default: '',
    advanced: true,
    description: 'The content disposition of each object.',
  }),
  field.interpolated('content_language', {
    default: '',
    advanced: true,
    description: 'The content language of each object.',
  }),
  field.interpolated('website_redirect_location', {
    default: '',
    advanced: true,
    description: 'The website redirect location of each object.',
  }),
  metadataExcludeField(
    'Which metadata becomes user metadata of the objects: every key except these prefixes.',
  ),
  field.interpolated('storage_class', {
    default: 'STANDARD',
    advanced: true,
    description: `The storage class of each object: ${storageClasses.join(', ')}.`,
  }),
  field.string('kms_key_id', {
    default: '',
    advanced: true,
    description: 'A KMS key for server-side encryption (implies `server_side_encryption: aws:kms`).',
  }),
  field.string('server_side_encryption', {
    default: '',
    advanced: true,
    description: 'The server-side encryption algorithm, e.g. `AES256` or `aws:kms`.',
  }),
  field.string('checksum_algorithm', {
    default: '',
    advanced: true,
    options: checksumAlgorithms,
    description:
      'A checksum the SDK computes for each upload and S3 checks (sent whatever `request_checksum_calculation` says).',
  }),
  forcePathStyleField,
  maxInFlightField(64),
  field.string('timeout', {
    default: '5s',
    advanced: true,
    description: 'How long the upload of one batch may take before it is abandoned and tried again.',
  }),
  batchingField,
  ...awsFields,
  ...checksumFields,
] as const

export type S3OutputConfig = ConfigOf<typeof fields>

// What an HTTP header name may hold: user metadata travels as `x-amz-meta-<key>` headers.
const headerToken = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** `key=value&…` of the tags, escaped as a query string, in key order. */
export function tagging(tags: readonly [string, string][]): string {
  // Go's url.QueryEscape: everything but letters, digits and `-_.~` escaped, spaces as `+`.
  const queryEscape = (s: string) =>
    encodeURIComponent(s)
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%20/g, '+')
  return tags.map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`).join('&')
}

export interface S3OutputOptions {
  /** the size of the parts of a multipart upload (lib-storage's default and S3's minimum: 5 MiB) */
  partSize?: number
}

export function s3Output(
  config: S3OutputConfig,
  context: Pick<ComponentContext, 'logger'>,
  options: S3OutputOptions = {},
): Output {
  const { logger } = context
  if (config.bucket === '') throw new FieldError('bucket', 'must not be empty')
  if (!(checksumAlgorithms as readonly string[]).includes(config.checksum_algorithm)) {
    throw new FieldError(
      'checksum_algorithm',
      `must be one of ${checksumAlgorithms.filter((a) => a !== '').join(', ')} or empty, got ${JSON.stringify(config.checksum_algorithm)}`,
    )
  }
  const timeoutMs = (() => {
    try {
      return parseDuration(config.timeout)
    } catch (err) {
      throw new FieldError('timeout', (err as Error).message, { cause: err })
    }
  })()
  const bucket = interpolation('bucket', config.bucket)
  const path = interpolation('path', config.path)
  const contentType = interpolation('content_type', config.content_type)
  const contentEncoding = interpolation('content_encoding', config.content_encoding)
  const cacheControl = interpolation('cache_control', config.cache_control)
  const contentDisposition = interpolation('content_disposition', config.content_disposition)
  const contentLanguage = interpolation('content_language', config.content_language)
  const redirect = interpolation('website_redirect_location', config.website_redirect_location)
  const storageClass = interpolation('storage_class', config.storage_class)
  const tags = interpolationMap('tags', config.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const keep = metadataExcludeFilter(config.metadata)
  const newClient = s3ClientOf(config)

  /** Uploads message `i`; rejects naming the object when S3 refuses it. */
  const upload = async (client: S3Client, view: BatchView, i: number, signal: AbortSignal): Promise<void> => {
    const optional = (f: FieldInterpolation): string | undefined => {
      const text = f.text(view, i)
      return text === '' ? undefined : text
    }
    const message = view.batch[i]!
    const metadata: Record<string, string> = {}
    for (const key of message.metadata.keys()) {
      if (!keep(key)) continue
      if (!headerToken.test(key)) {
        logger.debug(`aws_s3: metadata key ${JSON.stringify(key)} cannot be an S3 metadata name, left out`)
        continue
      }
      metadata[key] = message.metaString(key) ?? ''
    }
    const Bucket = bucket.text(view, i)
    const Key = path.text(view, i)
    const params: ConstructorParameters<typeof Upload>[0]['params'] = {
      Bucket,
      Key,
      Body: message.bytes(),
      ContentType: contentType.text(view, i),
      ContentEncoding: optional(contentEncoding),
      CacheControl: optional(cacheControl),
      ContentDisposition: optional(contentDisposition),
      ContentLanguage: optional(contentLanguage),
      WebsiteRedirectLocation: optional(redirect),
      StorageClass: storageClass.text(view, i) as StorageClass,
      Metadata: metadata,
    }
    if (tags.length > 0) params.Tagging = tagging(tags.map(([k, v]) => [k, v.text(view, i)]))
    // kms_key_id alone implies aws:kms; server_side_encryption, when set, has the last word.
    if (config.kms_key_id !== '') {
      params.ServerSideEncryption = 'aws:kms'
      params.SSEKMSKeyId = config.kms_key_id
    }
    if (config.server_side_encryption !== '') {
      params.ServerSideEncryption = config.server_side_encryption as typeof params.ServerSideEncryption
    }
    if (config.checksum_algorithm !== '') params.ChecksumAlgorithm = config.checksum_algorithm
    const aborting = new AbortController()
    const abort = () => aborting.abort(signal.reason)
    signal.addEventListener('abort', abort, { once: true })
    try {
      await new Upload({
        client,
        params,
        abortController: aborting,
        ...(options.partSize === undefined ? {} : { partSize: options.partSize }),
      }).done()
    } catch (err) {
      if (signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError') {
        throw new Error(`aws_s3: uploading ${Bucket}/${Key}: timed out after ${config.timeout}`)
      }
      throw new Error(`aws_s3: uploading ${Bucket}/${Key}: ${(err as Error).message}`, { cause: err })
    } finally {
      signal.removeEventListener('abort', abort)
    }
  }

  return outputSkeleton(config, {
    connect: async () => newClient(),
    async write(client, batch, signal) {
      // The timeout bounds the whole batch, as Bento's does.
      const bounded = timeoutMs > 0 ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : signal
      const view = new BatchView(batch)
      // One after the other: a failure stops the batch, and only the objects not uploaded are
      // retried (a BatchError names them), so no object is written twice.
      for (let i = 0; i < batch.length; i++) {
        try {
          await upload(client, view, i, bounded)
        } catch (err) {
          if (i === 0 || signal.aborted) throw err
          const notUploaded = new Error(
            `aws_s3: not uploaded after an earlier failure: ${(err as Error).message}`,
          )
          const failures: [number, Error][] = [[i, err as Error]]
          for (let j = i + 1; j < batch.length; j++) failures.push([j, notUploaded])
          throw new BatchError(batch, failures, (err as Error).message)
        }
      }
    },
    disconnect: async (client) => client.destroy(),
  })
}

export const s3OutputComponent = defineOutput({
  name: 'aws_s3',
  status: 'stable',
  categories: ['Services', 'AWS'],
  summary: 'Sends each message as an object to an Amazon S3 bucket, at the interpolated `path`.',
  description:
    'Metadata becomes user metadata of the object (all keys but `metadata.exclude_prefixes`). Objects over 5 MiB go up as multipart uploads. To put a whole batch into one object, join it in `batching.processors` with an `archive` processor (and `compress` if wanted).',
  fields,
  create: (config, context) => s3Output(config, context),
})
