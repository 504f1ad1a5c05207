// The aws_s3 output: each message becomes an object at its interpolated path. Uploads go through
// lib-storage's Upload, which sends a small object with one PutObject and a large one (over the
// 5 MiB part size) as a multipart upload, parts in parallel.
import type { S3Client, StorageClass } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { type Batch, type Logger, NotConnected, parseDuration } from '@bento-ts/core'
import { BatchView, type Interpolated, interpolated, metadataExcludeFilter } from '@bento-ts/core/kit'
import { type S3ClientConfig, s3Client } from './s3.ts'

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

export interface S3OutputConfig extends S3ClientConfig {
  bucket: string
  path: string
  tags: Record<string, string>
  content_type: string
  content_encoding: string
  cache_control: string
  content_disposition: string
  content_language: string
  website_redirect_location: string
  metadata: { exclude_prefixes: string[] }
  storage_class: string
  kms_key_id: string
  server_side_encryption: string
  checksum_algorithm: string
  timeout: string
}

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
  logger: Logger
  /** the size of the parts of a multipart upload (lib-storage's default and S3's minimum: 5 MiB) */
  partSize?: number
}

export interface S3Writer {
  connect(): Promise<void>
  write(batch: Batch, signal: AbortSignal): Promise<void>
  close(): Promise<void>
}

export function s3Output(config: S3OutputConfig, options: S3OutputOptions): S3Writer {
  const { logger } = options
  if (config.bucket === '') throw new Error('aws_s3: bucket must not be empty')
  if (!(checksumAlgorithms as readonly string[]).includes(config.checksum_algorithm)) {
    throw new Error(
      `aws_s3: checksum_algorithm must be one of ${checksumAlgorithms.filter((a) => a !== '').join(', ')} or empty, got ${JSON.stringify(config.checksum_algorithm)}`,
    )
  }
  const timeoutMs = (() => {
    try {
      return parseDuration(config.timeout)
    } catch (err) {
      throw new Error(`aws_s3: timeout: ${(err as Error).message}`)
    }
  })()
  const field = (source: string, name: string): Interpolated => interpolated(source, name)
  const bucket = field(config.bucket, 'bucket')
  const path = field(config.path, 'path')
  const contentType = field(config.content_type, 'content_type')
  const contentEncoding = field(config.content_encoding, 'content_encoding')
  const cacheControl = field(config.cache_control, 'cache_control')
  const contentDisposition = field(config.content_disposition, 'content_disposition')
  const contentLanguage = field(config.content_language, 'content_language')
  const redirect = field(config.website_redirect_location, 'website_redirect_location')
  const storageClass = field(config.storage_class, 'storage_class')
  const tags = Object.keys(config.tags)
    .sort()
    .map((k) => [k, field(config.tags[k]!, `tag ${k}`)] as const)
  const keep = metadataExcludeFilter(config.metadata)
  let client: S3Client | undefined

  /** Uploads message `i`; rejects naming the object when S3 refuses it. */
  const upload = async (view: BatchView, i: number, signal: AbortSignal): Promise<void> => {
    const render = (f: Interpolated, what: string): string => {
      try {
        return f.text(view, i)
      } catch (err) {
        throw new Error(`aws_s3: ${what} interpolation: ${(err as Error).message}`)
      }
    }
    const optional = (f: Interpolated, what: string): string | undefined => {
      const text = render(f, what)
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
    const Bucket = render(bucket, 'bucket')
    const Key = render(path, 'path')
    const params: ConstructorParameters<typeof Upload>[0]['params'] = {
      Bucket,
      Key,
      Body: message.bytes(),
      ContentType: render(contentType, 'content_type'),
      ContentEncoding: optional(contentEncoding, 'content_encoding'),
      CacheControl: optional(cacheControl, 'cache_control'),
      ContentDisposition: optional(contentDisposition, 'content_disposition'),
      ContentLanguage: optional(contentLanguage, 'content_language'),
      WebsiteRedirectLocation: optional(redirect, 'website_redirect_location'),
      StorageClass: render(storageClass, 'storage_class') as StorageClass,
      Metadata: metadata,
    }
    if (tags.length > 0) params.Tagging = tagging(tags.map(([k, v]) => [k, render(v, `tag ${k}`)]))
    // kms_key_id alone implies aws:kms; server_side_encryption, when set, has the last word.
    if (config.kms_key_id !== '') {
      params.ServerSideEncryption = 'aws:kms'
      params.SSEKMSKeyId = config.kms_key_id
    }
    if (config.server_side_encryption !== '') {
      params.ServerSideEncryption = config.server_side_encryption as typeof params.ServerSideEncryption
    }
    if (config.checksum_algorithm !== '') {
      params.ChecksumAlgorithm = config.checksum_algorithm as typeof params.ChecksumAlgorithm
    }
    const aborting = new AbortController()
    const abort = () => aborting.abort(signal.reason)
    signal.addEventListener('abort', abort, { once: true })
    try {
      await new Upload({
        client: client!,
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

  return {
    async connect() {
      client ??= s3Client(config, 'aws_s3')
    },
    async write(batch, signal) {
      if (client === undefined) throw new NotConnected()
      // The timeout bounds the whole batch, as Bento's does.
      const bounded = timeoutMs > 0 ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : signal
      const view = new BatchView(batch)
      // One after the other: a failure stops the batch, so what a retry sends again is least.
      for (let i = 0; i < batch.length; i++) await upload(view, i, bounded)
    },
    async close() {
      client?.destroy()
      client = undefined
    },
  }
}
