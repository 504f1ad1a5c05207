import { describe, expect, test } from 'vitest'
import type { Processor } from './component.ts'
import { type Batch, Message } from './message.ts'
import { runProcessors } from './pipeline.ts'

const texts = (batches: Batch[]) => batches.map((b) => b.map((m) => m.text()))

/** A processor that appends `suffix` to each message, answering synchronously or not. */
const suffix = (s: string, async = false): Processor => ({
  process(batch) {
    const out = [batch.map((m) => new Message(`${m.text()}${s}`))]
    return async ? Promise.resolve(out) : out
  },
})

/** Splits a batch into one batch per message. */
const split: Processor = { process: (batch) => batch.map((m) => [m]) }

describe('runProcessors', () => {
  const input = () => [new Message('a'), new Message('b')]

  test('answers synchronously when every processor does', () => {
    const out = runProcessors([suffix('1'), split, suffix('2')], input())
    expect(out).not.toBeInstanceOf(Promise)
    expect(texts(out as Batch[])).toEqual([['a12'], ['b12']])
  })

  test('a processor answering with a promise midway gives the same result, in order', async () => {
    for (const at of [0, 1, 2]) {
      const processors = [suffix('1', at === 0), split, suffix('2', at === 2)]
      if (at === 1) processors[1] = { process: (b) => Promise.resolve(split.process(b) as Batch[]) }
      const out = runProcessors(processors, input())
      expect(out).toBeInstanceOf(Promise)
      expect(texts(await out)).toEqual([['a12'], ['b12']])
    }
  })

  test('an async answer for a middle batch keeps the batches after it, in order', async () => {
    let calls = 0
    const sometimes: Processor = {
      process(batch) {
        calls++
        const out = [batch.map((m) => new Message(`${m.text()}!`))]
        return calls === 1 ? Promise.resolve(out) : out
      },
    }
    const out = runProcessors([split, sometimes, suffix('.')], [new Message('x'), new Message('y')])
    expect(texts(await out)).toEqual([['x!.'], ['y!.']])
  })

  test('empty batches are dropped and the run stops when nothing is left', () => {
    let reached = false
    const out = runProcessors(
      [
        { process: () => [[]] },
        {
          process: (b) => {
            reached = true
            return [b]
          },
        },
      ],
      [new Message('z')],
    )
    expect(out).toEqual([])
    expect(reached).toBe(false)
  })

  test('a processor that throws rejects (async) or throws (sync)', async () => {
    const boom: Processor = {
      process() {
        throw new Error('boom')
      },
    }
    expect(() => runProcessors([boom], input())).toThrow('boom')
    await expect(
      Promise.resolve().then(() => runProcessors([suffix('1', true), boom], input())),
    ).rejects.toThrow('boom')
  })
})
