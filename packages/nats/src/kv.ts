// What the three `nats_kv` components share: the `bucket` field and binding to an existing bucket.
import { field } from '@bento-ts/core'
import type { KV } from 'nats'
import type { Link } from './connection.ts'

export const bucketField = field.string('bucket', {
  description: 'The name of the KV bucket.',
  examples: ['my_kv_bucket'],
})

/** The bucket, which must exist (Bento does not create it either). */
export async function bindBucket(component: string, link: Link, bucket: string): Promise<KV> {
  try {
    const kv = await link.nc.jetstream().views.kv(bucket, { bindOnly: true })
    // Binding does not look the bucket up; its status does (and fails when it is missing).
    await kv.status()
    return kv
  } catch (err) {
    throw new Error(`${component}: bucket ${bucket}: ${(err as Error).message}`)
  }
}

/** The parts of nats.js's bucket (declared public in its typings) that say where a key's values go. */
interface BucketSubjects {
  encodeKey(key: string): string
  validateKey(key: string): void
  subjectForKey(key: string, edit?: boolean): string
}

/** The subject a put of `key` is published to; throws when the key is not a valid KV key. */
export function putSubject(kv: KV, key: string): string {
  const bucket = kv as unknown as BucketSubjects
  const encoded = bucket.encodeKey(key)
  bucket.validateKey(encoded)
  return bucket.subjectForKey(encoded, true)
}
