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

  test('the deprecated codec field', async () => {
    expect(await scan({ codec: 'delim:;', scanner: { lines: {} } }, ['a;b'])).toEqual(['a', 'b'])
    expect(await scan({ codec: 'all-bytes' }, ['a\nb'])).toEqual(['a\nb'])
    expect(() => scannerFromConfig({ codec: 'nope' })).toThrow('codec was not recognised: nope')
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
