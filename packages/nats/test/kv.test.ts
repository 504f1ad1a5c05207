// Key-value buckets: the `nats_kv` input (watch), output and cache against the real server.

import { Timestamp } from '@bento-ts/bloblang'
import { type ComponentContext, KeyExists, KeyNotFound } from '@bento-ts/core'
import { noTls } from '@bento-ts/core/kit'
import { componentContext, eventually } from '@bento-ts/test-services'
import type { KV, NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { kvCache } from '../src/index.ts'
import { capturedOf, client, natsUrl, runYaml, text, unique } from './helpers.ts'

const decoder = new TextDecoder()
const encoder = new TextEncoder()
let nc: NatsConnection
const buckets: KV[] = []

beforeAll(async () => {
  nc = await client()
})
afterAll(async () => {
  for (const b of buckets) await b.destroy().catch(() => {})
  await nc.close()
})

async function newBucket(prefix: string, history = 1): Promise<{ name: string; kv: KV }> {
  const name = unique(prefix)
  const kv = await nc.jetstream().views.kv(name, { history })
  buckets.push(kv)
  return { name, kv }
}

describe('nats_kv input', () => {
  test('the watch gives the current values, then puts and deletes as they happen', async () => {
    const { name, kv } = await newBucket('watch')
    await kv.put('users.alice', 'a1')
    await kv.put('users.bob', 'b1')
    await kv.put('users.alice', 'a2')
    await kv.put('other.x', 'x')
    const out = unique('cap')
    const running = await runYaml(`
input:
  label: kv_watch
  nats_kv:
    urls: [ "\${NATS_URL}" ]
    bucket: ${name}
    key: users.>
output:
  capture: ${out}
`)
    try {
      await eventually(() => capturedOf(out).length >= 2, { what: 'the current values' })
      const before = Date.now()
      await kv.put('users.carol', 'c1')
      await kv.delete('users.bob')
      await eventually(() => capturedOf(out).length >= 4, { what: 'the put and the delete' })
      const messages = capturedOf(out)
      expect(
        messages.map((m) => [m.metadata.get('nats_kv_key'), text(m), m.metadata.get('nats_kv_operation')]),
      ).toEqual([
        ['users.bob', 'b1', 'KeyValuePutOp'],
        ['users.alice', 'a2', 'KeyValuePutOp'],
        ['users.carol', 'c1', 'KeyValuePutOp'],
        ['users.bob', '', 'KeyValueDeleteOp'],
      ])
      const carol = messages[2]!.metadata
      expect(carol.get('nats_kv_bucket')).toBe(name)
      expect(carol.get('nats_kv_revision')).toBe(5)
      expect(carol.get('nats_kv_delta')).toBe(0)
      const created = carol.get('nats_kv_created') as Timestamp
      expect(created).toBeInstanceOf(Timestamp)
      expect(created.sec * 1000 + created.nsec / 1e6).toBeGreaterThanOrEqual(before - 5000)
      // the first of the initial values had one more after it
      expect(messages[0]!.metadata.get('nats_kv_delta')).toBe(1)
    } finally {
      await running.stop(5000)
    }
  })

  test('ignore_deletes, include_history and meta_only', async () => {
    const { name, kv } = await newBucket('opts', 5)
    await kv.put('k', 'v1')
    await kv.put('k', 'v2')
    await kv.delete('k')
    await kv.put('j', 'w1')
    const out = unique('cap')
    const running = await runYaml(`
input:
  nats_kv:
    urls: [ "\${NATS_URL}" ]
    bucket: ${name}
    include_history: true
    ignore_deletes: true
    meta_only: true
output:
  capture: ${out}
`)
    try {
      await eventually(() => capturedOf(out).length >= 3, { what: 'the history' })
      await kv.delete('j')
      await kv.put('j', 'w2')
      await eventually(() => capturedOf(out).length >= 4, { what: 'the new put' })
    } finally {
      await running.stop(5000)
    }
    const messages = capturedOf(out)
    expect(
      messages.map((m) => `${m.metadata.get('nats_kv_key')}@${m.metadata.get('nats_kv_revision')}`),
    ).toEqual(['k@1', 'k@2', 'j@4', 'j@6'])
    // meta_only: no values
    for (const m of messages) expect(text(m)).toBe('')
  })
})

describe('nats_kv output', () => {
  test('puts each message under its interpolated key', async () => {
    const { name, kv } = await newBucket('put')
    const running = await runYaml(`
input:
  generate:
    count: 30
    interval: ""
    mapping: |
      let n = count("${name}")
      root = {"n": $n}
      meta key = "item." + ($n % 10).string()
output:
  nats_kv:
    urls: [ "\${NATS_URL}" ]
    bucket: ${name}
    key: \${! meta("key") }
    max_in_flight: 1
`)
    await running.done
    for (let i = 0; i < 10; i++) {
      const entry = await kv.get(`item.${i}`)
      expect(entry?.operation).toBe('PUT')
      // max_in_flight 1 keeps the order: the last write of each key is its largest n
      expect(JSON.parse(decoder.decode(entry!.value))).toEqual({ n: i === 0 ? 30 : 20 + i })
    }
    const status = await kv.status()
    expect(status.values).toBe(10)
  })

  test('output to input: values written by one stream are watched by another', async () => {
    const { name } = await newBucket('pipe')
    const out = unique('cap')
    const watcher = await runYaml(`
input:
  nats_kv:
    urls: [ "\${NATS_URL}" ]
    bucket: ${name}
output:
  capture: ${out}
`)
    try {
      const writer = await runYaml(`
input:
  generate:
    count: 3
    interval: ""
    mapping: |
      root = "value " + count("${name}").string()
      meta id = count("${name}_id").string()
output:
  nats_kv:
    urls: [ "\${NATS_URL}" ]
    bucket: ${name}
    key: key_\${! meta("id") }
`)
      await writer.done
      await eventually(() => capturedOf(out).length >= 3, { what: 'three updates' })
    } finally {
      await watcher.stop(5000)
    }
    const got = capturedOf(out)
      .map((m) => [m.metadata.get('nats_kv_key'), text(m)])
      .sort()
    expect(got).toEqual([
      ['key_1', 'value 1'],
      ['key_2', 'value 2'],
      ['key_3', 'value 3'],
    ])
  })

  test('an invalid key fails the write and names the key', async () => {
    const { name } = await newBucket('badkey')
    const { kvOutput } = await import('../src/index.ts')
    const { Message } = await import('@bento-ts/core')
    const output = await kvOutput.create(
      { urls: [natsUrl()], bucket: name, key: 'bad key!', max_in_flight: 1, tls: noTls },
      await componentContext<ComponentContext>(import.meta.url),
    )
    const signal = new AbortController().signal
    await output.connect(signal)
    try {
      await expect(output.write([new Message('x')], signal)).rejects.toThrow(/key "bad key!"/)
    } finally {
      await output.close()
    }
  })
})

describe('nats_kv cache', () => {
  const cacheContext = () => componentContext<ComponentContext>(import.meta.url, { label: 'cache_test' })

  test('get, set, add and delete with KeyNotFound and KeyExists', async () => {
    const { name, kv } = await newBucket('cache')
    const cache = await kvCache.create({ urls: [natsUrl()], bucket: name, tls: noTls }, await cacheContext())
    try {
      await expect(cache.get('missing')).rejects.toBeInstanceOf(KeyNotFound)
      await cache.add('a', encoder.encode('1'))
      await expect(cache.add('a', encoder.encode('2'))).rejects.toBeInstanceOf(KeyExists)
      expect(decoder.decode(await cache.get('a'))).toBe('1')
      await cache.set('a', encoder.encode('3'))
      expect(decoder.decode(await cache.get('a'))).toBe('3')
      await cache.delete('a')
      await expect(cache.get('a')).rejects.toBeInstanceOf(KeyNotFound)
      // a deleted key can be added again
      await cache.add('a', encoder.encode('4'))
      expect(decoder.decode(await cache.get('a'))).toBe('4')
      expect(decoder.decode((await kv.get('a'))!.value)).toBe('4')
      // deleting what is not there is fine
      await cache.delete('never')
    } finally {
      await cache.close?.()
    }
  })

  test('a missing bucket is an error naming it', async () => {
    const cache = await kvCache.create(
      { urls: [natsUrl()], bucket: unique('absent'), tls: noTls },
      await cacheContext(),
    )
    try {
      await expect(cache.get('x')).rejects.toThrow(/nats_kv: bucket absent_/)
    } finally {
      await cache.close?.()
    }
  })

  test('as a cache resource behind the cache processor and dedupe', async () => {
    const { name, kv } = await newBucket('resource')
    const out = unique('cap')
    const running = await runYaml(`
input:
  generate:
    count: 6
    interval: ""
    mapping: |
      root = "v" + (count("${name}") % 3).string()
pipeline:
  processors:
    - dedupe:
        cache: seen
        key: \${! content() }
    - cache:
        resource: seen
        operator: set
        key: last_\${! content() }
        value: \${! content() }
output:
  capture: ${out}
cache_resources:
  - label: seen
    nats_kv:
      urls: [ "\${NATS_URL}" ]
      bucket: ${name}
`)
    await running.done
    expect(capturedOf(out).map(text).sort()).toEqual(['v0', 'v1', 'v2'])
    for (const v of ['v0', 'v1', 'v2']) expect(decoder.decode((await kv.get(`last_${v}`))!.value)).toBe(v)
  })
})
