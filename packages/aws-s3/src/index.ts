// Components of this package. Each one declares its config spec once; `register` adds them all to
// an environment so a program includes only the connector packages it installed.
import { awsFields } from '@bento-ts/aws-sqs/aws'
import {
  addPlugins,
  autoReplayNacks,
  batchingField,
  type Environment,
  field,
  type Plugin,
} from '@bento-ts/core'
import { codecFields, metadataExcludeField } from '@bento-ts/core/kit'
import { type S3InputConfig, s3Input } from './input.ts'
import { type S3OutputConfig, s3Output, storageClasses } from './output.ts'
import { checksumFields, forcePathStyleField } from './s3.ts'

export const packageName = '@bento-ts/aws-s3'

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
]

export const s3InputPlugin: Plugin<'input'> = {
  spec: {
    name: 'aws_s3',
    kind: 'input',
    status: 'stable',
    categories: ['Services', 'AWS'],
    summary:
      'Downloads objects of an Amazon S3 bucket, listed under a prefix or named by S3 event notifications read from SQS.',
    description:
      'Each object is streamed through the `scanner` (the whole object by default). An object is deleted (`delete_objects`) only once every message read from it was delivered; in notification mode its SQS message is deleted then too, and made visible again when a message could not be delivered. Adds the metadata `s3_key`, `s3_bucket`, `s3_last_modified_unix`, `s3_last_modified` (RFC 3339), `s3_content_type`, `s3_content_encoding`, `s3_version_id` and every user metadata key of the object.',
    fields: [
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
      ...codecFields('to_the_end'),
      field.object('sqs', sqsFields, {
        optional: true,
        description:
          'Read the objects named by S3 event notifications in an SQS queue instead of listing the bucket.',
      }),
      ...checksumFields,
    ],
  },
  create(config: S3InputConfig, context) {
    const input = s3Input(config, { logger: context.logger })
    // A listing has no way to ask again for what was not delivered: it is replayed here instead.
    return config.sqs !== undefined && config.sqs.url !== '' ? input : autoReplayNacks(input, true)
  },
}

export const s3OutputPlugin: Plugin<'output'> = {
  spec: {
    name: 'aws_s3',
    kind: 'output',
    status: 'stable',
    categories: ['Services', 'AWS'],
    summary: 'Sends each message as an object to an Amazon S3 bucket, at the interpolated `path`.',
    description:
      'Metadata becomes user metadata of the object (all keys but `metadata.exclude_prefixes`). Objects over 5 MiB go up as multipart uploads. To put a whole batch into one object, join it in `batching.processors` with an `archive` processor (and `compress` if wanted).',
    fields: [
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
        options: ['', 'CRC32', 'CRC32C', 'SHA1', 'SHA256'],
        description:
          'A checksum the SDK computes for each upload and S3 checks (sent whatever `request_checksum_calculation` says).',
      }),
      forcePathStyleField,
      field.int('max_in_flight', {
        default: 64,
        description: 'The maximum number of message batches to have in flight at a given time.',
      }),
      field.string('timeout', {
        default: '5s',
        advanced: true,
        description: 'How long the upload of one batch may take before it is abandoned and tried again.',
      }),
      batchingField,
      ...awsFields,
      ...checksumFields,
    ],
  },
  create(config: S3OutputConfig, context) {
    const writer = s3Output(config, { logger: context.logger })
    return {
      connect: () => writer.connect(),
      write: (batch, signal) => writer.write(batch, signal),
      close: () => writer.close(),
    }
  },
}

export const plugins: Plugin[] = [s3InputPlugin, s3OutputPlugin]

/** Adds the aws_s3 input and output to an environment. */
export function register(env: Environment): Environment {
  return addPlugins(env, plugins)
}

export { type S3InputConfig, s3Input } from './input.ts'
export { objectsOf, queryUnescape, stringsAt } from './notification.ts'
export { type S3OutputConfig, s3Output, tagging } from './output.ts'
