import { randomUUID } from 'node:crypto'
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { expect, test } from 'vitest'
import { requireService } from '../src/index.ts'

test('@aws-sdk/client-s3 puts, gets and lists against moto', async () => {
  const env = requireService('moto')
  const s3 = new S3Client({
    endpoint: env.AWS_ENDPOINT_URL!,
    region: env.AWS_REGION!,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  })
  const Bucket = `smoke-${randomUUID()}`
  const keys = ['in/a.json', 'in/b.json', 'other/c.json']
  await s3.send(new CreateBucketCommand({ Bucket }))
  try {
    for (const Key of keys) {
      await s3.send(
        new PutObjectCommand({
          Bucket,
          Key,
          Body: JSON.stringify({ key: Key }),
          ContentType: 'application/json',
          Metadata: { origin: 'smoke' },
        }),
      )
    }
    const object = await s3.send(new GetObjectCommand({ Bucket, Key: 'in/b.json' }))
    expect(await object.Body!.transformToString()).toBe('{"key":"in/b.json"}')
    expect(object.ContentType).toBe('application/json')
    expect(object.Metadata).toEqual({ origin: 'smoke' })

    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'in/' }))
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['in/a.json', 'in/b.json'])
  } finally {
    for (const Key of keys) await s3.send(new DeleteObjectCommand({ Bucket, Key }))
    await s3.send(new DeleteBucketCommand({ Bucket }))
    s3.destroy()
  }
})
