// Uploads against moto: an object over the 5 MiB part size goes up as a multipart upload, and
// request_checksum_calculation decides whether uploads carry a checksum.
import { randomBytes } from 'node:crypto'
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { BatchError, Message, silentLogger } from '@bento-ts/core'
import { afterAll, expect, test } from 'vitest'
import { type S3OutputConfig, s3Output } from '../src/output.ts'
import { awsConfig, createBucket, keysOf, removeBucket, s3Sdk } from './helpers.ts'

const s3 = s3Sdk()
const buckets: string[] = []
const signal = new AbortController().signal

afterAll(async () => {
  for (const b of buckets) await removeBucket(s3, b)
  s3.destroy()
})

function config(bucket: string, over: Partial<S3OutputConfig> = {}): S3OutputConfig {
  return {
    bucket,
    path: '${! meta("key") }',
    tags: {},
    content_type: 'application/octet-stream',
    content_encoding: '',
    cache_control: '',
    content_disposition: '',
    content_language: '',
    website_redirect_location: '',
    metadata: { exclude_prefixes: ['key'] },
    storage_class: 'STANDARD',
    kms_key_id: '',
    server_side_encryption: '',
    checksum_algorithm: '',
    timeout: '2m',
    max_in_flight: 64,
    batching: { count: 0, byte_size: 0, period: '', jitter: 0, check: '' },
    ...awsConfig(),
    force_path_style_urls: true,
    request_checksum_calculation: 'when_supported',
    response_checksum_validation: 'when_supported',
    ...over,
  }
}

test('an object over 5 MiB goes up in parts and comes back whole', async () => {
  const bucket = await createBucket(s3, 'multipart')
  buckets.push(bucket)
  const data = randomBytes(11 * 1024 * 1024 + 123)
  const out = s3Output(config(bucket, { tags: { kind: 'big' } }), { logger: silentLogger })
  await out.connect(signal)
  await out.write([new Message(data, [['key', 'big.bin']])], signal)
  await out.close()
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }))
  expect(head.ContentLength).toBe(data.length)
  // A multipart object's ETag ends with the number of its parts: 11 MiB in 5 MiB parts is 3.
  expect(head.ETag).toMatch(/-3"$/)
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin' }))
  expect(Buffer.from(await object.Body!.transformToByteArray()).equals(data)).toBe(true)
})

test('request_checksum_calculation: when_supported uploads carry a CRC32 checksum, when_required ones none', async () => {
  const bucket = await createBucket(s3, 'checksums')
  buckets.push(bucket)
  for (const [when, key] of [
    ['when_supported', 'with.txt'],
    ['when_required', 'without.txt'],
  ] as const) {
    const out = s3Output(
      config(bucket, { request_checksum_calculation: when, response_checksum_validation: when }),
      {
        logger: silentLogger,
      },
    )
    await out.connect(signal)
    await out.write([new Message('checked', [['key', key]])], signal)
    await out.close()
  }
  const checksumOf = async (Key: string) =>
    (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key, ChecksumMode: 'ENABLED' }))).ChecksumCRC32
  expect(await checksumOf('with.txt')).toBeTruthy()
  expect(await checksumOf('without.txt')).toBeUndefined()

  // checksum_algorithm asks for one explicitly, whatever the calculation setting.
  const sha = s3Output(
    config(bucket, { request_checksum_calculation: 'when_required', checksum_algorithm: 'SHA256' }),
    {
      logger: silentLogger,
    },
  )
  await sha.connect(signal)
  await sha.write([new Message('sha', [['key', 'sha.txt']])], signal)
  await sha.close()
  const head = await s3.send(
    new HeadObjectCommand({ Bucket: bucket, Key: 'sha.txt', ChecksumMode: 'ENABLED' }),
  )
  expect(head.ChecksumSHA256).toBeTruthy()
})

test('a failed upload names the object; settings out of range are refused', async () => {
  const out = s3Output(config('no-such-bucket-bento-ts'), { logger: silentLogger })
  await out.connect(signal)
  await expect(out.write([new Message('x', [['key', 'k']])], signal)).rejects.toThrow(
    'aws_s3: uploading no-such-bucket-bento-ts/k:',
  )
  await out.close()
  // A value the spec's options exclude, as a caller outside the runtime may still pass.
  const md5 = 'MD5' as S3OutputConfig['checksum_algorithm']
  expect(() => s3Output(config('b', { checksum_algorithm: md5 }), { logger: silentLogger })).toThrow(
    'checksum_algorithm: must be one of CRC32, CRC32C, SHA1, SHA256 or empty, got "MD5"',
  )
  expect(() => s3Output(config('b', { timeout: 'soon' }), { logger: silentLogger })).toThrow('timeout:')
})

test('a batch that fails part way fails only the objects not uploaded', async () => {
  const bucket = await createBucket(s3, 'partly')
  buckets.push(bucket)
  // The second message names a bucket that does not exist: the first is uploaded, the others not.
  const out = s3Output(config('${! meta("bucket") }'), { logger: silentLogger })
  await out.connect(signal)
  const batch = ['a', 'b', 'c'].map(
    (key) =>
      new Message(key, [
        ['key', key],
        ['bucket', key === 'b' ? 'no-such-bucket-bento-ts' : bucket],
      ]),
  )
  const error = await out.write(batch, signal).catch((err: unknown) => err)
  await out.close()
  expect(error).toBeInstanceOf(BatchError)
  expect((error as BatchError).message).toMatch(/^aws_s3: uploading no-such-bucket-bento-ts\/b: /)
  expect(batch.filter((m) => (error as BatchError).failures.has(m)).map((m) => m.text())).toEqual(['b', 'c'])
  expect(await keysOf(s3, bucket)).toEqual(['a'])
})
