import { describe, expect, test } from 'vitest'
import { Message } from '../../message.ts'
import { csvRecords, deserializeBytes, jsonDocuments, serializeBytes } from './archive.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

const roundTrip = async (format: string, batch: Message[], path?: string) => {
  const archive = await buildProcessor({ archive: path === undefined ? { format } : { format, path } })
  const archived = await run(archive, batch)
  expect(archived).toHaveLength(1)
  expect(archived[0]).toHaveLength(1)
  return run(await buildProcessor({ unarchive: { format } }), archived[0]!)
}

describe('archive and unarchive', () => {
  test('tar and zip round trip with file names from path', async () => {
    for (const format of ['tar', 'zip']) {
      const out = await roundTrip(
        format,
        batchOf('{"id":"a"}', '{"id":"b"}', '{"id":"a"}'),
        '${! this.id }.json',
      )
      expect(texts(out)).toEqual([['{"id":"a"}', '{"id":"b"}', '{"id":"a"}']])
      expect(out[0]!.map((m) => m.metadata.get('archive_filename'))).toEqual(['a.json', 'b.json', 'a.json'])
    }
  })

  test('binary, lines, json_array round trip', async () => {
    expect(texts(await roundTrip('binary', batchOf('a', '', 'ccc')))).toEqual([['a', '', 'ccc']])
    expect(texts(await roundTrip('lines', batchOf('a', 'b')))).toEqual([['a', 'b']])
    expect(texts(await roundTrip('json_array', batchOf('{"a":1}', '[2]', '"x"')))).toEqual([
      ['{"a":1}', '[2]', '"x"'],
    ])
  })

  test('archived formats and the metadata of the first message', async () => {
    const batch = [new Message('a', [['k', 'first']]), new Message('b', [['k', 'second']])]
    const [[lines]] = (await run(await buildProcessor({ archive: { format: 'lines' } }), batch)) as [
      [Message],
    ]
    expect(lines.text()).toBe('a\nb')
    expect(lines.metadata.get('k')).toBe('first')
    const concat = await run(await buildProcessor({ archive: { format: 'concatenate' } }), batchOf('a', 'b'))
    expect(texts(concat)).toEqual([['ab']])
    const array = await run(
      await buildProcessor({ archive: { format: 'json_array' } }),
      batchOf('{"a":1}', '2'),
    )
    expect(texts(array)).toEqual([['[{"a":1},2]']])
    expect(Array.from(serializeBytes([new Uint8Array([1]), new Uint8Array(0)]))).toEqual([
      0, 0, 0, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0,
    ])
    expect(() => deserializeBytes(new Uint8Array([0, 0, 0, 9, 1]))).toThrow('malformed message part')
  })

  test('json_array archive fails the batch when a message is not JSON', async () => {
    const out = await run(await buildProcessor({ archive: { format: 'json_array' } }), batchOf('{}', 'nope'))
    expect(texts(out)).toEqual([['{}', 'nope']])
    expect(out[0]![1]!.error?.message).toMatch(/^failed to parse message as JSON: /)
  })

  test('unarchive json_map adds archive_key; json_documents reads a stream of documents', async () => {
    const map = await run(
      await buildProcessor({ unarchive: { format: 'json_map' } }),
      batchOf('{"a":1,"b":{"c":2}}'),
    )
    expect(texts(map)).toEqual([['1', '{"c":2}']])
    expect(map[0]!.map((m) => m.metadata.get('archive_key'))).toEqual(['a', 'b'])
    const docs = await run(
      await buildProcessor({ unarchive: { format: 'json_documents' } }),
      batchOf('{"a":"}{"} [1,2]\n"s" 3 true'),
    )
    expect(texts(docs)).toEqual([['{"a":"}{"}', '[1,2]', '"s"', '3', 'true']])
    expect(jsonDocuments('')).toEqual([])
  })

  test('unarchive csv and csv with a custom delimiter', async () => {
    const csv = await run(
      await buildProcessor({ unarchive: { format: 'csv' } }),
      batchOf('a,b\n1,"x,""y"""\n\n3,4\n'),
    )
    expect(texts(csv)).toEqual([['{"a":"1","b":"x,\\"y\\""}', '{"a":"3","b":"4"}']])
    const tabs = await run(await buildProcessor({ unarchive: { format: 'csv:\t' } }), batchOf('a\tb\r\n1\t2'))
    expect(texts(tabs)).toEqual([['{"a":"1","b":"2"}']])
    expect(() => csvRecords('a,b\n1\n', ',')).toThrow('record on line 2: wrong number of fields')
    await expect(buildProcessor({ unarchive: { format: 'csv:ab' } })).rejects.toThrow(
      'csv format requires a single character delimiter',
    )
    await expect(buildProcessor({ unarchive: { format: 'rar' } })).rejects.toThrow(
      'archive format not recognised: rar',
    )
  })

  test('a message that fails to unarchive stays unchanged and flagged', async () => {
    const out = await run(
      await buildProcessor({ unarchive: { format: 'json_array' } }),
      batchOf('{"a":1}', '[1]'),
    )
    expect(texts(out)).toEqual([['{"a":1}', '1']])
    expect(out[0]![0]!.error?.message).toBe(
      "failed to parse message into JSON array: invalid type 'map[string]interface {}'",
    )
    const zip = await run(await buildProcessor({ unarchive: { format: 'zip' } }), batchOf('not a zip'))
    expect(zip[0]![0]!.error).toBeDefined()
  })
})
