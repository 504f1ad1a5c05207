import { describe, expect, test } from 'vitest'
import { Message } from '../../message.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

describe('group_by', () => {
  test('groups by the first passing check, runs the group processors, unmatched last', async () => {
    const p = await buildProcessor({
      group_by: [
        { check: 'this.t == "a"', processors: [{ archive: { format: 'lines' } }] },
        { check: 'this.t == "b"' },
      ],
    })
    const out = await run(
      p,
      batchOf('{"t":"b","n":1}', '{"t":"a","n":2}', '{"t":"c","n":3}', '{"t":"a","n":4}', 'bad'),
    )
    expect(texts(out)).toEqual([
      ['{"t":"a","n":2}\n{"t":"a","n":4}'],
      ['{"t":"b","n":1}'],
      ['{"t":"c","n":3}', 'bad'],
    ])
  })
})

describe('group_by_value', () => {
  test('groups by an interpolated value, in order of first appearance', async () => {
    const p = await buildProcessor({ group_by_value: { value: '${! @key }' } })
    const batch = ['x', 'y', 'x', 'z'].map((k, i) => new Message(String(i), [['key', k]]))
    expect(texts(await run(p, batch))).toEqual([['0', '2'], ['1'], ['3']])
  })
})
