import { afterEach, expect, test, vi } from 'vitest'
import { Message } from '../message.ts'
import { fakeContext } from './io/testkit.ts'
import { rejectOutput, stdoutOutput } from './outputs-basic.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

async function printed(codec: string, payloads: string[]): Promise<string> {
  const chunks: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(Buffer.from(chunk).toString())
    return true
  })
  const output = await stdoutOutput.create({ codec }, fakeContext())
  await output.write(
    payloads.map((p) => new Message(p)),
    new AbortController().signal,
  )
  vi.restoreAllMocks()
  return chunks.join('')
}

test('stdout adds the line break only to a message that does not end with one (as Bento)', async () => {
  expect(await printed('lines', ['a', 'b\n', '', 'c\n\n'])).toBe('a\nb\n\nc\n\n')
  expect(await printed('delim:;', ['a', 'b;'])).toBe('a;b;')
  expect(await printed('all-bytes', ['a', 'b'])).toBe('ab')
})

test('an unknown stdout codec is an error at start', () => {
  expect(() => stdoutOutput.create({ codec: 'nope' }, fakeContext())).toThrow(
    'codec was not recognised: nope',
  )
})

test("reject fails the batch with its reason rendered for the batch's first message (as Bento)", async () => {
  const output = await rejectOutput.create('nope ${! this.n }', fakeContext())
  await expect(
    output.write([new Message('{"n":1}'), new Message('{"n":2}')], new AbortController().signal),
  ).rejects.toThrow(/^nope 1$/)
  expect(() => rejectOutput.create('bad ${! this. }', fakeContext())).toThrow(/reject/)
})
