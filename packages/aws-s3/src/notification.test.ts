import { describe, expect, test } from 'vitest'
import { objectsOf, queryUnescape, stringsAt } from './notification.ts'
import { tagging } from './output.ts'

const paths = {
  key_path: 'Records.*.s3.object.key',
  bucket_path: 'Records.*.s3.bucket.name',
  envelope_path: '',
}

const event = (records: { bucket: string; key: string }[]) =>
  JSON.stringify({
    Records: records.map((r) => ({
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: r.bucket }, object: { key: r.key } },
    })),
  })

describe('S3 event notifications', () => {
  test('each record names a bucket and a URL-encoded key', () => {
    expect(
      objectsOf(
        event([
          { bucket: 'b1', key: 'in/a+file%3D1.json' },
          { bucket: 'b2', key: 'in/%C3%A9t%C3%A9.txt' },
        ]),
        paths,
        '',
      ),
    ).toEqual([
      { bucket: 'b1', key: 'in/a file=1.json' },
      { bucket: 'b2', key: 'in/été.txt' },
    ])
  })

  test('SNS envelope: the event is a JSON string in Message', () => {
    const body = JSON.stringify({ Type: 'Notification', Message: event([{ bucket: 'b', key: 'k' }]) })
    expect(objectsOf(body, { ...paths, envelope_path: 'Message' }, '')).toEqual([{ bucket: 'b', key: 'k' }])
    expect(() =>
      objectsOf(JSON.stringify({ Message: 1 }), { ...paths, envelope_path: 'Message' }, ''),
    ).toThrow('expected a string at envelope path Message, found number')
  })

  test('without bucket names the configured bucket is used; with neither, an error', () => {
    const body = JSON.stringify({ Records: [{ s3: { object: { key: 'k' } } }] })
    expect(objectsOf(body, paths, 'fallback')).toEqual([{ bucket: 'fallback', key: 'k' }])
    expect(() => objectsOf(body, paths, '')).toThrow('required bucket was not found in SQS message')
  })

  test('a test event or anything else without keys names no object; a body that is not JSON fails', () => {
    expect(objectsOf(JSON.stringify({ Event: 's3:TestEvent' }), paths, 'b')).toEqual([])
    expect(() => objectsOf('not json', paths, 'b')).toThrow('failed to parse SQS message')
  })

  test('dot paths: indexes, wildcards over arrays and objects, escaped dots', () => {
    const doc = { a: [{ b: 'x' }, { b: ['y', ['z']] }], m: { p: { v: '1' }, q: { v: '2' } }, 'd.e': 'dot' }
    expect(stringsAt(doc, 'a.*.b')).toEqual(['x', 'y', 'z'])
    expect(stringsAt(doc, 'a.1.b')).toEqual(['y', 'z'])
    expect(stringsAt(doc, 'm.*.v')).toEqual(['1', '2'])
    expect(stringsAt(doc, 'd~1e')).toEqual(['dot'])
    expect(stringsAt(doc, 'a.5.b')).toEqual([])
  })

  test('keys decode as Go url.QueryUnescape does; a bad escape is an error', () => {
    expect(queryUnescape('a+b%2Bc')).toBe('a b+c')
    expect(() => queryUnescape('bad%zz')).toThrow('invalid URL escape in "bad%zz"')
  })
})

describe('object tags', () => {
  test('escaped as a query string, as Go url.QueryEscape does', () => {
    expect(
      tagging([
        ['Key 1', 'a&b=c'],
        ['t', "it's (ok)*"],
      ]),
    ).toBe('Key+1=a%26b%3Dc&t=it%27s+%28ok%29%2A')
  })
})
