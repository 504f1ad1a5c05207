import { describe, expect, test } from 'vitest'
import type { Processor } from '../../component.ts'
import { type Batch, Message } from '../../message.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

const failed = (text: string, error: string) => {
  const m = new Message(text)
  m.error = new Error(error)
  return m
}

describe('catch', () => {
  test('runs children only on flagged messages, then clears every flag', async () => {
    const p = await buildProcessor({ catch: [{ mapping: 'root = "caught: " + error()' }] })
    const out = await run(p, [new Message('ok'), failed('bad', 'boom')])
    expect(texts(out)).toEqual([['ok', 'caught: boom']])
    expect(out[0]!.every((m) => m.error === undefined)).toBe(true)
  })

  test('a child that fails inside catch is still cleared; children may drop messages', async () => {
    const p = await buildProcessor({
      catch: [{ mapping: 'root = if content() == "drop" { deleted() } else { throw("again") }' }],
    })
    const out = await run(p, [failed('drop', 'x'), failed('keep', 'y'), new Message('fine')])
    expect(texts(out)).toEqual([['keep', 'fine']])
    expect(out[0]!.every((m) => m.error === undefined)).toBe(true)
  })
})

describe('try', () => {
  test('stops at the first failure; flagged messages skip the rest', async () => {
    const p = await buildProcessor({
      try: [
        { mapping: 'root = if content() == "bad" { throw("nope") } else { content() + "1" }' },
        { mapping: 'root = content() + "2"' },
      ],
    })
    const out = await run(p, batchOf('a', 'bad', 'b'))
    expect(texts(out)).toEqual([['a12', 'bad', 'b12']])
    expect(out[0]![1]!.error?.message).toBe('failed assignment (line 1): nope')
  })

  test('messages already flagged on entry are skipped', async () => {
    const p = await buildProcessor({ try: [{ mapping: 'root = "changed"' }] })
    const out = await run(p, [failed('old', 'earlier'), new Message('new')])
    expect(texts(out)).toEqual([['old', 'changed']])
  })
})

describe('for_each, processors, parallel, resource', () => {
  test('for_each runs children per message (batch functions see a batch of one)', async () => {
    const p = await buildProcessor({ for_each: [{ mapping: 'root = batch_size()' }] })
    expect(texts(await run(p, batchOf('a', 'b', 'c')))).toEqual([['1', '1', '1']])
  })

  test('processors runs children on the whole batch and may split it', async () => {
    const p = await buildProcessor({
      processors: [{ mapping: 'root = batch_size()' }, { split: { size: 2 } }],
    })
    expect(texts(await run(p, batchOf('a', 'b', 'c')))).toEqual([['3', '3'], ['3']])
  })

  test('parallel keeps the order of the batch and honours cap', async () => {
    const p = await buildProcessor({
      parallel: {
        cap: 2,
        processors: [{ sleep: { duration: '${! (3 - this.n) * 5 }ms' } }, { mutation: 'root.done = true' }],
      },
    })
    const out = await run(p, batchOf('{"n":0}', '{"n":1}', '{"n":2}'))
    expect(texts(out)).toEqual([['{"done":true,"n":0}', '{"done":true,"n":1}', '{"done":true,"n":2}']])
  })

  test('resource runs a processor resource, looked up when used', async () => {
    const upper: Processor = {
      process: (batch: Batch) => [batch.map((m) => new Message(m.text().toUpperCase()))],
    }
    const p = await buildProcessor({ resource: 'up' }, { processors: { up: upper } })
    expect(texts(await run(p, batchOf('a')))).toEqual([['A']])
    const missing = await buildProcessor({ resource: 'nope' })
    await expect(async () => run(missing, batchOf('a'))).rejects.toThrow(
      "processor resource 'nope' was not found",
    )
  })
})
