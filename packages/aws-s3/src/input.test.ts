import { silentLogger } from '@bento-ts/core'
import { describe, expect, test } from 'vitest'
import { type S3InputConfig, type S3SqsConfig, s3Input } from './input.ts'

const sqs: S3SqsConfig = {
  url: 'http://sqs.local/000000000000/events',
  endpoint: '',
  key_path: 'Records.*.s3.object.key',
  bucket_path: 'Records.*.s3.bucket.name',
  envelope_path: '',
  delay_period: '',
  max_messages: 10,
  wait_time_seconds: 0,
}

const config = (over: Partial<S3InputConfig>): S3InputConfig => ({
  bucket: '',
  prefix: '',
  region: '',
  endpoint: '',
  credentials: {
    profile: '',
    id: '',
    secret: '',
    token: '',
    role: '',
    role_external_id: '',
    expiry_window: '',
    from_ec2_role: false,
  },
  force_path_style_urls: false,
  delete_objects: false,
  scanner: { to_the_end: {} },
  request_checksum_calculation: 'when_supported',
  response_checksum_validation: 'when_supported',
  ...over,
})

describe('aws_s3 input settings', () => {
  test('a bucket or a queue is needed, and a prefix only goes with a bucket listing', () => {
    expect(() => s3Input(config({}), { logger: silentLogger })).toThrow(
      'aws_s3: either a bucket or an sqs.url must be specified',
    )
    expect(() =>
      s3Input(config({ bucket: 'b', sqs: { ...sqs, url: '' } }), { logger: silentLogger }),
    ).not.toThrow()
    expect(() => s3Input(config({ prefix: 'p/', sqs }), { logger: silentLogger })).toThrow(
      'aws_s3: cannot specify both a prefix and sqs.url',
    )
  })

  test('notification settings out of range are refused with the field named', () => {
    expect(() =>
      s3Input(config({ sqs: { ...sqs, delay_period: 'later' } }), { logger: silentLogger }),
    ).toThrow('aws_s3: sqs.delay_period:')
    expect(() => s3Input(config({ sqs: { ...sqs, max_messages: 0 } }), { logger: silentLogger })).toThrow(
      'aws_s3: sqs.max_messages must be between 1 and 10, got 0',
    )
  })

  test('an unknown scanner is refused', () => {
    expect(() => s3Input(config({ bucket: 'b', scanner: { nope: {} } }), { logger: silentLogger })).toThrow(
      'aws_s3: scanner nope is not supported',
    )
  })
})
