// Round trips through moto's S3: our output writes objects with every attribute it sets, our input
// lists and reads them back through the scanners, metadata checked both ways.
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import type { ComponentContext } from '@bento-ts/core'
import { componentContext, motoSettings } from '@bento-ts/test-services'
import { afterAll, describe, expect, test } from 'vitest'
import { s3Input } from '../src/input.ts'
import {
  awsConfig,
  awsYaml,
  captureEnvironment,
  createBucket,
  keysOf,
  removeBucket,
  s3Sdk,
} from './helpers.ts'

const s3 = s3Sdk()
const buckets: string[] = []
const bucket = async (prefix: string) => {
  const name = await createBucket(s3, prefix)
  buckets.push(name)
  return name
}

afterAll(async () => {
  for (const b of buckets) await removeBucket(s3, b)
  s3.destroy()
})

describe('aws_s3 output against moto', () => {
  test('interpolated path and object attributes, metadata and tags arrive', async () => {
    const b = await bucket('out')
    const harness = await captureEnvironment()
    const stream = await harness.start(`
input:
  generate:
    count: 3
    interval: ""
    mapping: |
      root.id = "doc-%d".format(count("${b}"))
      meta dir = "docs"
      meta owner = "team-a"
      meta _internal = "not sent"
output:
  aws_s3:
    bucket: ${b}
    path: '\${! meta("dir") }/\${! json("id") }.json'
    content_type: application/json
    content_encoding: identity
    cache_control: max-age=60
    content_disposition: 'attachment; filename="\${! json("id") }.json"'
    content_language: en
    website_redirect_location: /elsewhere
    storage_class: '\${! "STANDARD_IA" }'
    server_side_encryption: AES256
    tags: { Origin: bento-ts, Doc: '\${! json("id") }' }
    metadata: { exclude_prefixes: [_] }
    ${flowAws()}
`)
    await stream.done
    expect((await keysOf(s3, b)).sort()).toEqual(['docs/doc-1.json', 'docs/doc-2.json', 'docs/doc-3.json'])
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'docs/doc-2.json' }))
    expect(head).toMatchObject({
      ContentType: 'application/json',
      ContentEncoding: 'identity',
      CacheControl: 'max-age=60',
      ContentDisposition: 'attachment; filename="doc-2.json"',
      ContentLanguage: 'en',
      WebsiteRedirectLocation: '/elsewhere',
      StorageClass: 'STANDARD_IA',
      ServerSideEncryption: 'AES256',
      Metadata: { dir: 'docs', owner: 'team-a' },
    })
    const body = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'docs/doc-2.json' }))
    expect(await body.Body!.transformToString()).toBe('{"id":"doc-2"}')
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'docs/doc-2.json' }))
    expect(tags.TagSet?.sort((x, y) => x.Key!.localeCompare(y.Key!))).toEqual([
      { Key: 'Doc', Value: 'doc-2' },
      { Key: 'Origin', Value: 'bento-ts' },
    ])
  })

  test('batching with an archive processor puts a whole batch into one object', async () => {
    const b = await bucket('archive')
    const harness = await captureEnvironment()
    const stream = await harness.start(`
input:
  generate:
    count: 6
    interval: ""
    mapping: |
      let n = count("${b}")
      root.n = $n
      meta n = $n
output:
  aws_s3:
    bucket: ${b}
    path: 'batch-\${! meta("n") }.jsonl'
    batching:
      count: 3
      processors:
        - archive: { format: lines }
    ${flowAws()}
`)
    await stream.done
    const keys = (await keysOf(s3, b)).sort()
    // The archived message keeps the metadata of the batch's first message: n = 1 and 4.
    expect(keys).toEqual(['batch-1.jsonl', 'batch-4.jsonl'])
    const first = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'batch-1.jsonl' }))
    expect(await first.Body!.transformToString()).toBe('{"n":1}\n{"n":2}\n{"n":3}')
  })
})

/** The moto settings as block entries at the indentation of an output's fields. */
function flowAws(): string {
  const m = motoSettings()
  return [
    `region: ${m.region}`,
    `endpoint: "${m.endpoint}"`,
    'force_path_style_urls: true',
    `credentials: { id: ${m.id}, secret: ${m.secret} }`,
  ].join('\n    ')
}

describe('aws_s3 input against moto', () => {
  test('lists a prefix page by page, splits objects with the lines scanner, metadata per object, deletes after delivery', async () => {
    const b = await bucket('in')
    const keys = Array.from({ length: 12 }, (_, i) => `in/obj-${String(i).padStart(2, '0')}.txt`)
    for (const Key of keys) {
      await s3.send(
        new PutObjectCommand({
          Bucket: b,
          Key,
          Body: `${Key} line 1\n${Key} line 2\n`,
          ContentType: 'text/plain',
          ContentEncoding: 'identity',
          Metadata: { source: 'test' },
        }),
      )
    }
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'other/skip.txt', Body: 'not under the prefix' }))

    const config = {
      bucket: b,
      prefix: 'in/',
      ...awsConfig(),
      force_path_style_urls: true,
      delete_objects: true,
      scanner: { lines: {} },
      request_checksum_calculation: 'when_supported' as const,
      response_checksum_validation: 'when_supported' as const,
    }
    // Five keys per page: the twelve objects take three pages. A listing replays nacks itself.
    const input = await s3Input(config, await componentContext<ComponentContext>(import.meta.url), {
      pageSize: 5,
    })
    const signal = new AbortController().signal
    await input.connect(signal)
    const got: { text: string; meta: Record<string, unknown> }[] = []
    const acks: (() => Promise<void>)[] = []
    for (;;) {
      let read: Awaited<ReturnType<typeof input.read>>
      try {
        read = await input.read(signal)
      } catch (err) {
        // Listed to the end while deliveries are outstanding: the input waits for them to end.
        expect((err as Error).name).toBe('InputDraining')
        break
      }
      for (const msg of read.batch) got.push({ text: msg.text(), meta: Object.fromEntries(msg.metadata) })
      acks.push(() => read.ack())
    }
    // Nothing was deleted before its messages were delivered.
    expect(await keysOf(s3, b, 'in/')).toHaveLength(12)
    expect(got.map((g) => g.text)).toEqual(keys.flatMap((k) => [`${k} line 1`, `${k} line 2`]))
    const meta = got[0]!.meta
    expect(meta).toMatchObject({
      s3_key: 'in/obj-00.txt',
      s3_bucket: b,
      s3_content_type: 'text/plain',
      s3_content_encoding: 'identity',
      source: 'test',
    })
    expect(meta.s3_last_modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(meta.s3_last_modified_unix).toBe(Math.floor(Date.parse(meta.s3_last_modified as string) / 1000))
    for (const ack of acks) await ack()
    await expect(input.read(signal)).rejects.toThrow('end of input')
    await input.close()
    expect(await keysOf(s3, b)).toEqual(['other/skip.txt'])
  })

  test('csv and json_documents scanners read objects through a stream; the listing input ends', async () => {
    const b = await bucket('scan')
    await s3.send(
      new PutObjectCommand({ Bucket: b, Key: 'people.csv', Body: 'name,age\nann,31\n"bob, jr",7\n' }),
    )
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'events.json', Body: '{"e":1}\n{"e":2} {"e":3}' }))
    const harness = await captureEnvironment()
    const csv = await harness.start(`
input:
  aws_s3: { bucket: ${b}, prefix: people, scanner: { csv: {} }, ${awsYaml()} }
output:
  capture: csv
`)
    await csv.done
    expect(
      harness.captured('csv').map((m) => [m.text(), m.metadata.get('csv_row'), m.metaString('s3_key')]),
    ).toEqual([
      ['{"age":"31","name":"ann"}', 0, 'people.csv'],
      ['{"age":"7","name":"bob, jr"}', 1, 'people.csv'],
    ])
    const json = await harness.start(`
input:
  aws_s3: { bucket: ${b}, prefix: events, scanner: { json_documents: {} }, ${awsYaml()} }
output:
  capture: json
`)
    await json.done
    expect(harness.captured('json').map((m) => m.text())).toEqual(['{"e":1}', '{"e":2}', '{"e":3}'])
    // Without delete_objects, the objects stay.
    expect((await keysOf(s3, b)).sort()).toEqual(['events.json', 'people.csv'])
  })
})
