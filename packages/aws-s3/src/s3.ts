// What the aws_s3 input and output share: the S3 client settings on top of the common AWS ones.
import { S3Client } from '@aws-sdk/client-s3'
import { type AwsConfig, awsClientConfig } from '@bento-ts/aws'
import { type ConfigOf, FieldError, field } from '@bento-ts/core'

export const forcePathStyleField = field.bool('force_path_style_urls', {
  default: false,
  advanced: true,
  description:
    'Address buckets as a path of the endpoint (`http://host/bucket/key`) instead of a host name (`http://bucket.host/key`); most S3-compatible stores and emulators need this.',
})

/**
 * Since early 2025 the AWS SDKs compute a CRC32 checksum for every upload and send it (in a
 * trailer of an `aws-chunked` body when streaming), and validate the checksums S3 returns. Many
 * S3-compatible stores reject such requests or return checksums that do not validate: for them,
 * `when_required` goes back to the old behaviour (checksums only where the API requires one).
 */
export const checksumFields = [
  field.string('request_checksum_calculation', {
    default: 'when_supported',
    options: ['when_supported', 'when_required'],
    advanced: true,
    description:
      'When requests carry a checksum of their payload: `when_supported` (the AWS default: every upload gets a CRC32 checksum unless `checksum_algorithm` picks another) or `when_required` (only operations that require one, and uploads with a `checksum_algorithm`). Set `when_required` for S3-compatible stores that reject the checksum headers or trailers newer AWS SDKs send.',
  }),
  field.string('response_checksum_validation', {
    default: 'when_supported',
    options: ['when_supported', 'when_required'],
    advanced: true,
    description:
      'When checksums of downloaded objects are validated: `when_supported` (the AWS default: whenever the store returns one) or `when_required` (only when asked for). Set `when_required` for S3-compatible stores whose checksums do not validate.',
  }),
] as const

/** The settings of an S3 client: the AWS ones, path-style addressing and checksums. */
export type S3ClientConfig = AwsConfig &
  ConfigOf<readonly [typeof forcePathStyleField, ...typeof checksumFields]>

export type ChecksumWhen = S3ClientConfig['request_checksum_calculation']

const sdkWhen = (when: ChecksumWhen, name: string): 'WHEN_SUPPORTED' | 'WHEN_REQUIRED' => {
  if (when === 'when_supported') return 'WHEN_SUPPORTED'
  if (when === 'when_required') return 'WHEN_REQUIRED'
  throw new FieldError(name, `must be when_supported or when_required, got ${JSON.stringify(when)}`)
}

/**
 * Makes S3 clients of the settings; the settings are checked here, once (a FieldError for what
 * cannot work), not at each connect.
 */
export function s3ClientOf(config: S3ClientConfig): () => S3Client {
  const options = {
    ...awsClientConfig(config),
    forcePathStyle: config.force_path_style_urls,
    requestChecksumCalculation: sdkWhen(config.request_checksum_calculation, 'request_checksum_calculation'),
    responseChecksumValidation: sdkWhen(config.response_checksum_validation, 'response_checksum_validation'),
  }
  return () => new S3Client(options)
}

/** Go's time.RFC3339 of a UTC time: whole seconds, `Z`. */
export const rfc3339 = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`
