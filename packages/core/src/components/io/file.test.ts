import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { EndOfInput, type Input } from '../../component.ts'
import { silentLogger } from '../../logger.ts'
import { Message } from '../../message.ts'
import { expandPaths, fileInput, fileOutput } from './file.ts'
import { scannerFromConfig } from './scanner.ts'
import { never, testEnvironment } from './testkit.ts'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bento-file-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

const inputConfig = (paths: string[], extra: Record<string, unknown> = {}) => ({
  paths,
  delete_on_finish: false,
  auto_replay_nacks: false,
  max_buffer: 1000000,
  scanner: { lines: {} },
  ...extra,
})

/** The file input over `config` with the scanner its config names. */
const reading = (config: ReturnType<typeof inputConfig>) =>
  fileInput(config, silentLogger, scannerFromConfig(config as Parameters<typeof scannerFromConfig>[0]))

async function readAll(input: Input) {
  const out: { text: string; meta: Record<string, unknown>; ack: (e?: Error) => Promise<void> }[] = []
  for (;;) {
    try {
      const { batch, ack } = await input.read(never)
      for (const m of batch) out.push({ text: m.text(), meta: Object.fromEntries(m.metadata), ack })
    } catch (err) {
      if (err instanceof EndOfInput) return out
      throw err
    }
  }
}

describe('file input', () => {
  test('reads files matched by a glob in order, a message per line, with path and mod time metadata', async () => {
    writeFileSync(join(dir, 'b.txt'), 'b1\nb2\n')
    writeFileSync(join(dir, 'a.txt'), 'a1\r\na2\n\na4')
    writeFileSync(join(dir, 'skip.log'), 'nope\n')
    utimesSync(join(dir, 'a.txt'), 1_700_000_000, 1_700_000_000)
    const got = await readAll(reading(inputConfig([join(dir, '*.txt')])))
    expect(got.map((g) => g.text)).toEqual(['a1', 'a2', '', 'a4', 'b1', 'b2'])
    expect(got[0]!.meta).toEqual({
      path: join(dir, 'a.txt'),
      mod_time_unix: 1_700_000_000,
      mod_time: '2023-11-14T22:13:20Z',
    })
    expect(got[4]!.meta.path).toBe(join(dir, 'b.txt'))
  })

  test('super globs match files at any depth; plain paths are kept, globs without matches dropped', () => {
    mkdirSync(join(dir, 'x', 'y'), { recursive: true })
    writeFileSync(join(dir, 'top.json'), '')
    writeFileSync(join(dir, 'x', 'y', 'deep.json'), '')
    const found = expandPaths([join(dir, '**', '*.json'), join(dir, 'absent.txt'), join(dir, '*.nothing')])
    expect(found).toEqual([join(dir, 'top.json'), join(dir, 'x', 'y', 'deep.json'), join(dir, 'absent.txt')])
  })

  test('to_the_end gives one message per file', async () => {
    writeFileSync(join(dir, 'one.txt'), 'line 1\nline 2\n')
    writeFileSync(join(dir, 'two.txt'), '')
    const got = await readAll(
      reading(inputConfig([join(dir, 'one.txt'), join(dir, 'two.txt')], { scanner: { to_the_end: {} } })),
    )
    expect(got.map((g) => g.text)).toEqual(['line 1\nline 2\n', ''])
  })

  test('delete_on_finish deletes a file only once it was read to the end and every message was acked', async () => {
    const path = join(dir, 'del.txt')
    writeFileSync(path, 'x\ny\n')
    const input = reading(inputConfig([path], { delete_on_finish: true }))
    const first = await input.read(never)
    await first.ack()
    expect(existsSync(path)).toBe(true)
    const second = await input.read(never)
    await expect(input.read(never)).rejects.toBeInstanceOf(EndOfInput)
    expect(existsSync(path)).toBe(true)
    await second.ack()
    expect(existsSync(path)).toBe(false)
  })

  test('a nacked message keeps the file', async () => {
    const path = join(dir, 'keep.txt')
    writeFileSync(path, 'x\ny\n')
    const got = await readAll(reading(inputConfig([path], { delete_on_finish: true })))
    await got[0]!.ack(new Error('failed downstream'))
    await got[1]!.ack()
    expect(existsSync(path)).toBe(true)
  })

  test('closing before the end keeps the file even when what was read was acked', async () => {
    const path = join(dir, 'partial.txt')
    writeFileSync(path, 'x\ny\n')
    const input = reading(inputConfig([path], { delete_on_finish: true }))
    const first = await input.read(never)
    await first.ack()
    await input.close()
    expect(existsSync(path)).toBe(true)
  })

  test('a line longer than max_buffer_size is an error', async () => {
    const path = join(dir, 'long.txt')
    writeFileSync(path, `${'x'.repeat(100)}\nshort\n`)
    const input = reading(inputConfig([path], { scanner: { lines: { max_buffer_size: 50 } } }))
    await expect(input.read(never)).rejects.toThrow('bufio.Scanner: token too long')
  })
})

describe('file output', () => {
  const write = async (codec: string, path: string, texts: string[]) => {
    const out = fileOutput({ path, codec })
    for (const t of texts) await out.write([new Message(t)], never)
    await out.close()
  }

  test('lines appends a newline unless the message already ends with one', async () => {
    const path = join(dir, 'out', 'lines.txt')
    await write('lines', path, ['a', 'b\n', 'c'])
    expect(readFileSync(path, 'utf8')).toBe('a\nb\nc\n')
  })

  test('delim:x, append and all-bytes', async () => {
    await write('delim:,', join(dir, 'd.txt'), ['a', 'b'])
    expect(readFileSync(join(dir, 'd.txt'), 'utf8')).toBe('a,b,')
    await write('append', join(dir, 'p.txt'), ['a', 'b'])
    expect(readFileSync(join(dir, 'p.txt'), 'utf8')).toBe('ab')
    await write('all-bytes', join(dir, 'w.txt'), ['first', 'second'])
    expect(readFileSync(join(dir, 'w.txt'), 'utf8')).toBe('second')
  })

  test('an existing file is appended to by the appending codecs', async () => {
    const path = join(dir, 'existing.txt')
    writeFileSync(path, 'old\n')
    await write('lines', path, ['new'])
    expect(readFileSync(path, 'utf8')).toBe('old\nnew\n')
  })

  test('the path is interpolated per message', async () => {
    const out = fileOutput({ path: join(dir, '${! meta("kind") }.txt'), codec: 'lines' })
    await out.write(
      [
        new Message('1', [['kind', 'x']]),
        new Message('2', [['kind', 'y']]),
        new Message('3', [['kind', 'x']]),
      ],
      never,
    )
    await out.close()
    expect(readFileSync(join(dir, 'x.txt'), 'utf8')).toBe('1\n3\n')
    expect(readFileSync(join(dir, 'y.txt'), 'utf8')).toBe('2\n')
  })

  test('writes made at once go out together, in the order they were made, each resolving', async () => {
    const path = join(dir, 'many.txt')
    const out = fileOutput({ path, codec: 'lines' })
    expect(out.maxInFlight).toBeGreaterThan(1)
    const texts = Array.from({ length: 500 }, (_, i) => `m${i}`)
    await Promise.all(texts.map((t) => out.write([new Message(t)], never)))
    await out.close()
    expect(readFileSync(path, 'utf8')).toBe(`${texts.join('\n')}\n`)
  })

  test('queued writes to alternating paths keep their order per file', async () => {
    const out = fileOutput({ path: join(dir, '${! meta("kind") }.txt'), codec: 'lines' })
    const writes = Array.from({ length: 20 }, (_, i) =>
      out.write([new Message(`${i}`, [['kind', i % 3 === 0 ? 'x' : 'y']])], never),
    )
    await Promise.all(writes)
    await out.close()
    const want = (k: number) =>
      Array.from({ length: 20 }, (_, i) => i)
        .filter((i) => (i % 3 === 0) === (k === 0))
        .map((i) => `${i}\n`)
        .join('')
    expect(readFileSync(join(dir, 'x.txt'), 'utf8')).toBe(want(0))
    expect(readFileSync(join(dir, 'y.txt'), 'utf8')).toBe(want(1))
  })

  test('a write fails when the file cannot be opened, and the others still succeed', async () => {
    writeFileSync(join(dir, 'blocker'), 'a file, not a directory')
    const out = fileOutput({ path: join(dir, '${! meta("to") }'), codec: 'lines' })
    const good = out.write([new Message('ok', [['to', 'good.txt']])], never)
    const bad = out.write([new Message('no', [['to', 'blocker/inside.txt']])], never)
    const after = out.write([new Message('ok2', [['to', 'good.txt']])], never)
    await expect(good).resolves.toBeUndefined()
    await expect(bad).rejects.toThrow()
    await expect(after).resolves.toBeUndefined()
    await out.close()
    expect(readFileSync(join(dir, 'good.txt'), 'utf8')).toBe('ok\nok2\n')
  })

  test('a write whose signal fired before it was written is rejected and not written', async () => {
    const path = join(dir, 'aborted.txt')
    const out = fileOutput({ path, codec: 'lines' })
    const cancel = new AbortController()
    const first = out.write([new Message('a')], never)
    const second = out.write([new Message('b')], cancel.signal)
    cancel.abort()
    await first
    await expect(second).rejects.toThrow()
    await out.close()
    expect(readFileSync(path, 'utf8')).toBe('a\n')
  })

  test("unknown codecs are rejected with Bento's error", () => {
    expect(() => fileOutput({ path: 'x', codec: 'csv' })).toThrow('codec was not recognised: csv')
    expect(() => fileOutput({ path: 'x', codec: 'delim:' })).toThrow(
      'custom delimiter codec requires a non-empty delimiter',
    )
  })
})

describe('file to file through a stream', () => {
  test('every line arrives, and the source is deleted after the stream acknowledged it all', async () => {
    const source = join(dir, 'in.txt')
    const lines = Array.from({ length: 50 }, (_, i) => `{"n":${i}}`)
    writeFileSync(source, `${lines.join('\n')}\n`)
    const target = join(dir, 'out.txt')
    const { start } = testEnvironment()
    const stream = await start(`
input:
  file:
    paths: [ "${source}" ]
    delete_on_finish: true
pipeline:
  processors:
    - mapping: 'root.m = this.n * 2'
output:
  file:
    path: "${target}"
`)
    await stream.done
    const written = readFileSync(target, 'utf8').trim().split('\n')
    expect(written.sort()).toEqual(lines.map((_, i) => `{"m":${i * 2}}`).sort())
    expect(existsSync(source)).toBe(false)
  })
})
