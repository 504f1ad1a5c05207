import { describe, expect, test } from 'vitest'
import type { Message } from '../../message.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

describe('switch', () => {
  test('the first passing case gets the message; an empty check always passes; order is kept', async () => {
    const p = await buildProcessor({
      switch: [
        { check: 'this.type == "a"', processors: [{ mapping: 'root = "A:" + this.n.string()' }] },
        { check: 'this.type == "b"', processors: [{ mapping: 'root = "B:" + this.n.string()' }] },
        { processors: [{ mapping: 'root = "other:" + this.n.string()' }] },
      ],
    })
    const out = await run(
      p,
      batchOf('{"type":"b","n":1}', '{"type":"a","n":2}', '{"type":"z","n":3}', '{"type":"a","n":4}'),
    )
    expect(texts(out)).toEqual([['B:1', 'A:2', 'other:3', 'A:4']])
  })

  test('fallthrough runs the next case too', async () => {
    const p = await buildProcessor({
      switch: [
        { check: 'this.n > 1', processors: [{ mutation: 'root.first = true' }], fallthrough: true },
        { check: 'this.n > 100', processors: [{ mutation: 'root.second = true' }] },
        { processors: [{ mutation: 'root.third = true' }] },
      ],
    })
    const out = await run(p, batchOf('{"n":1}', '{"n":2}'))
    // n=2 passes case 0 and falls through into case 1 without being tested
    expect(texts(out)).toEqual([['{"n":1,"third":true}', '{"first":true,"n":2,"second":true}']])
  })

  test('messages that pass no case go on unchanged; a check error flags the message', async () => {
    const p = await buildProcessor({
      switch: [{ check: 'this.n > 1', processors: [{ mapping: 'root = "big"' }] }],
    })
    const out = await run(p, batchOf('{"n":0}', 'not json', '{"n":5}'))
    expect(texts(out)).toEqual([['{"n":0}', 'not json', 'big']])
    expect(out[0]![1]!.error?.message).toMatch(/^failed to test case 0: /)
    expect(out[0]![0]!.error).toBeUndefined()
  })

  test('a check that is not a boolean is an error', async () => {
    const p = await buildProcessor({ switch: [{ check: 'this.n', processors: [{ noop: {} }] }] })
    const [[m]] = (await run(p, batchOf('{"n":5}'))) as [[Message]]
    expect(m.error?.message).toBe('failed to test case 0: expected bool value, got number from mapping (5)')
  })

  test('case processors may drop messages; a case needs processors', async () => {
    const p = await buildProcessor({
      switch: [{ check: 'this.drop', processors: [{ mapping: 'root = deleted()' }] }],
    })
    expect(texts(await run(p, batchOf('{"drop":true}', '{"drop":false}')))).toEqual([['{"drop":false}']])
    expect(await run(p, batchOf('{"drop":true}'))).toEqual([])
    await expect(buildProcessor({ switch: [{ check: 'true' }] })).rejects.toThrow(
      "case '0' parse error: case has no processors, in order to have a no-op case use a `noop` processor",
    )
  })
})
