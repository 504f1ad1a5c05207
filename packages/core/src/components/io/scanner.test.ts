import { PassThrough, Readable } from 'node:stream'
import { describe, expect, test } from 'vitest'
import { EndOfInput } from '../../component.ts'
import { ByteReader, SourceAcks, scannerFromConfig } from './scanner.ts'
import { streamInput } from './stdin.ts'
import { never } from './testkit.ts'

async function scan(config: Parameters<typeof scannerFromConfig>[0], chunks: string[]) {
  const scanner = scannerFromConfig(config).create(
    new ByteReader(Readable.from(chunks.map((c) => Buffer.from(c)))),
  )
  const out: string[] = []
  for (;;) {
    const batch = await scanner.next()
    if (batch === undefined) return out
    out.push(...batch.map((m) => m.text()))
  }
}

describe('scanners', () => {
  test('lines: split across chunks, \\r\\n handled, a last line without newline kept', async () => {
    expect(await scan({ scanner: { lines: {} } }, ['ab', 'c\r\nde', 'f\n\ng'])).toEqual([
      'abc',
      'def',
      '',
      'g',
    ])
  })

  test('lines: omit_empty and a custom delimiter (kept verbatim, no \\r dropping)', async () => {
    expect(await scan({ scanner: { lines: { omit_empty: true } } }, ['a\n\n\nb\n'])).toEqual(['a', 'b'])
    expect(await scan({ scanner: { lines: { custom_delimiter: '||' } } }, ['a\r|', '|b||', 'c'])).toEqual([
      'a\r',
      'b',
      'c',
    ])
  })

  test('lines: max_buffer_size bounds a line with its delimiter', async () => {
    expect(await scan({ scanner: { lines: { max_buffer_size: 4 } } }, ['abc\nd'])).toEqual(['abc', 'd'])
    await expect(scan({ scanner: { lines: { max_buffer_size: 4 } } }, ['abcd\n'])).rejects.toThrow(
      'bufio.Scanner: token too long',
    )
  })

  test('to_the_end and chunker', async () => {
    expect(await scan({ scanner: { to_the_end: {} } }, ['a\n', 'b'])).toEqual(['a\nb'])
    expect(await scan({ scanner: { chunker: { size: 3 } } }, ['abcd', 'efg'])).toEqual(['abc', 'def', 'g'])
  })

  test('csv: a header row keys each row, csv_row counts rows from 0, quotes across chunks and lines', async () => {
    const chunks = ['na', 'me,"no', 'te"\r\nann,"a ""quoted""\nline"\n\nbob,', 'plain\n']
    const scanner = scannerFromConfig({ scanner: { csv: {} } }).create(
      new ByteReader(Readable.from(chunks.map((c) => Buffer.from(c)))),
    )
    const rows: unknown[] = []
    for (;;) {
      const batch = await scanner.next()
      if (batch === undefined) break
      for (const m of batch) rows.push([m.metadata.get('csv_row'), m.text()])
    }
    expect(rows).toEqual([
      [0, '{"name":"ann","note":"a \\"quoted\\"\\nline"}'],
      [1, '{"name":"bob","note":"plain"}'],
    ])
  })

  test('csv: without a header row, with a custom delimiter, rows are arrays of strings', async () => {
    expect(
      await scan({ scanner: { csv: { parse_header_row: false, custom_delimiter: ';' } } }, ['a;b\nc;"d;e"']),
    ).toEqual(['["a","b"]', '["c","d;e"]'])
  })

  test("csv: Go's errors, continue_on_error and lazy_quotes", async () => {
    await expect(scan({ scanner: { csv: {} } }, ['a,b\n1,2\n3\n'])).rejects.toThrow(
      'record on line 3: wrong number of fields',
    )
    await expect(scan({ scanner: { csv: {} } }, ['a,b\n1,x"y\n'])).rejects.toThrow(
      'parse error on line 2, column 4: bare " in non-quoted-field',
    )
    await expect(scan({ scanner: { csv: {} } }, ['a,b\n"1\n2,3\n'])).rejects.toThrow(
      'record on line 2; parse error on line 3, column 5: extraneous or missing " in quoted-field',
    )
    await expect(
      scan({ scanner: { csv: { continue_on_error: true } } }, ['a,b\n"x"y,1\n2,3\n']),
    ).resolves.toEqual(['{}', '{"a":"2","b":"3"}'])
    await expect(scan({ scanner: { csv: { expected_number_of_fields: 3 } } }, ['a,b\n'])).rejects.toThrow(
      'record on line 1: wrong number of fields',
    )
    await expect(
      scan({ scanner: { csv: { expected_headers: ['a', 'c'] } } }, ['a,b\n1,2\n']),
    ).rejects.toThrow("expected_headers don't match file contents")
    expect(await scan({ scanner: { csv: { lazy_quotes: true } } }, ['a,b\n1,x"y\n"p"q",r\n'])).toEqual([
      '{"a":"1","b":"x\\"y"}',
      '{"a":"p\\"q","b":"r"}',
    ])

    const scanner = scannerFromConfig({ scanner: { csv: { continue_on_error: true } } }).create(
      new ByteReader(Readable.from([Buffer.from('a,b\n1,2\n3\n4,5\n')])),
    )
    const got: [string, string | undefined][] = []
    for (;;) {
      const batch = await scanner.next()
      if (batch === undefined) break
      for (const m of batch) got.push([m.text(), m.error?.message])
    }
    expect(got).toEqual([
      ['{"a":"1","b":"2"}', undefined],
      ['{"a":"3"}', 'record on line 3: wrong number of fields'],
      ['{"a":"4","b":"5"}', undefined],
    ])
  })

  test('json_documents: documents split across chunks, exact numbers, scalars between structures', async () => {
    expect(
      await scan({ scanner: { json_documents: {} } }, [
        '{"a":1}{"b":[1,{"c":"}"}]}\n  12345678901234567890',
        '1 "x\\"y" tr',
        'ue null[]',
      ]),
    ).toEqual(['{"a":1}', '{"b":[1,{"c":"}"}]}', '123456789012345678901', '"x\\"y"', 'true', 'null', '[]'])
  })

  test('json_documents: a document cut short or invalid fails the source', async () => {
    await expect(scan({ scanner: { json_documents: {} } }, ['{"a":1} {"b":'])).rejects.toThrow(
      'unexpected EOF',
    )
    await expect(scan({ scanner: { json_documents: {} } }, ['{"a":1} }'])).rejects.toThrow(
      "invalid character '}' looking for beginning of value",
    )
    await expect(scan({ scanner: { json_documents: {} } }, ['{"a":nope}'])).rejects.toThrow()
  })

  test('the deprecated codec field', async () => {
    expect(await scan({ codec: 'delim:;', scanner: { lines: {} } }, ['a;b'])).toEqual(['a', 'b'])
    expect(await scan({ codec: 'all-bytes' }, ['a\nb'])).toEqual(['a\nb'])
    expect(() => scannerFromConfig({ codec: 'nope' })).toThrow('codec was not recognised: nope')
    expect(await scan({ codec: 'chunker:2' }, ['abcde'])).toEqual(['ab', 'cd', 'e'])
    expect(await scan({ codec: 'csv' }, ['a,b\n1,2\n'])).toEqual(['{"a":"1","b":"2"}'])
  })

  test('codec /multipart: messages up to an empty one form a batch; the last batch needs no empty line', async () => {
    const scanner = scannerFromConfig({ codec: 'lines/multipart' }).create(
      new ByteReader(Readable.from([Buffer.from('1\n2\n\n\n3\n'), Buffer.from('4\n\n5')])),
    )
    const batches: string[][] = []
    for (let b = await scanner.next(); b !== undefined; b = await scanner.next())
      batches.push(b.map((m) => m.text()))
    expect(batches).toEqual([['1', '2'], ['3', '4'], ['5']])
  })

  test('exactly one scanner must be named', () => {
    expect(() => scannerFromConfig({ scanner: { lines: {}, to_the_end: {} } })).toThrow(
      'scanner must name exactly one scanner',
    )
  })

  test('a read given up on (abort) loses nothing', async () => {
    const stream = new PassThrough()
    const scanner = scannerFromConfig({ scanner: { lines: {} } }).create(new ByteReader(stream))
    const controller = new AbortController()
    const waiting = scanner.next(controller.signal)
    controller.abort()
    await expect(waiting).rejects.toThrow()
    stream.write('hello\n')
    stream.end()
    expect((await scanner.next())?.map((m) => m.text())).toEqual(['hello'])
    expect(await scanner.next()).toBeUndefined()
  })
})

describe('source acks', () => {
  test('acknowledged once, without error, after the end and the last ack', async () => {
    const calls: (string | undefined)[] = []
    const acks = new SourceAcks(async (e) => {
      calls.push(e?.message)
    })
    const a = acks.track()
    const b = acks.track()
    await a()
    await acks.close(true)
    expect(calls).toEqual([])
    await b()
    expect(calls).toEqual([undefined])
  })

  test('the first nack is passed on and nothing after it', async () => {
    const calls: (string | undefined)[] = []
    const acks = new SourceAcks(async (e) => {
      calls.push(e?.message)
    })
    const a = acks.track()
    const b = acks.track()
    await a(new Error('bad'))
    await b()
    await acks.close(true)
    expect(calls).toEqual(['bad'])
  })
})

describe('stdin input (over any stream)', () => {
  test('reads lines until the stream ends', async () => {
    const input = streamInput(Readable.from([Buffer.from('one\ntwo\n')]), { scanner: { lines: {} } })
    const got: string[] = []
    for (;;) {
      try {
        const { batch } = await input.read(never)
        got.push(...batch.map((m) => m.text()))
      } catch (err) {
        expect(err).toBeInstanceOf(EndOfInput)
        break
      }
    }
    expect(got).toEqual(['one', 'two'])
  })
})
