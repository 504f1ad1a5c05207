import { noCredentials } from '@bento-ts/aws'
import {
  type ComponentContext,
  loadStreamConfig,
  silentLogger,
  standardEnvironment,
  startStream,
} from '@bento-ts/core'
import { componentContext } from '@bento-ts/test-services'
import { describe, expect, test } from 'vitest'
import { register } from './index.ts'
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
  credentials: noCredentials,
  force_path_style_urls: false,
  delete_objects: false,
  scanner: { to_the_end: {} },
  request_checksum_calculation: 'when_supported',
  response_checksum_validation: 'when_supported',
  ...over,
})

describe('aws_s3 input settings', () => {
  const refused = async (c: S3InputConfig) =>
    s3Input(c, await componentContext<ComponentContext>(import.meta.url))

  test('a bucket or a queue is needed, and a prefix only goes with a bucket listing', async () => {
    await expect(refused(config({}))).rejects.toMatchObject({
      name: 'FieldError',
      message: 'bucket: either a bucket or an sqs.url must be specified',
    })
    await expect(refused(config({ bucket: 'b', sqs: { ...sqs, url: '' } }))).resolves.toBeDefined()
    await expect(refused(config({ prefix: 'p/', sqs }))).rejects.toMatchObject({
      name: 'FieldError',
      message: 'prefix: cannot specify both a prefix and sqs.url',
    })
  })

  test('notification settings out of range are refused with the field named', async () => {
    await expect(refused(config({ sqs: { ...sqs, delay_period: 'later' } }))).rejects.toMatchObject({
      name: 'FieldError',
      field: 'sqs.delay_period',
    })
    await expect(refused(config({ sqs: { ...sqs, max_messages: 0 } }))).rejects.toMatchObject({
      name: 'FieldError',
      message: 'sqs.max_messages: must be between 1 and 10, got 0',
    })
  })

  test('an unknown scanner is refused', async () => {
    await expect(refused(config({ bucket: 'b', scanner: { nope: {} } }))).rejects.toMatchObject({
      name: 'FieldError',
      message: 'scanner: scanner nope is not supported',
    })
  })

  test('through the runtime, a refused setting names its whole config path', async () => {
    const env = register(standardEnvironment())
    const stream = loadStreamConfig(
      'input: { aws_s3: { sqs: { url: "http://sqs.local/q", max_messages: 11 } } }\noutput: { drop: {} }',
      env,
    )
    await expect(startStream(stream, env, { logger: silentLogger })).rejects.toThrow(
      'input.aws_s3.sqs.max_messages: must be between 1 and 10, got 11',
    )
  })
})
