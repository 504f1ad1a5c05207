import { describe, expect, test } from 'vitest'
import { parseAddresses, parseTopics } from './topics.ts'

describe('parseTopics', () => {
  test('plain and comma separated topics are balanced', () => {
    const t = parseTopics(['foo', 'bar,baz', ' qux , foo'])
    expect(t.balanced).toEqual(['foo', 'bar', 'baz', 'qux'])
    expect(t.explicit.size).toBe(0)
  })

  test('explicit partitions and inclusive ranges', () => {
    const t = parseTopics(['foo:0', 'bar:1,bar:3', 'baz:2-5', 'bar:1-2'])
    expect(t.balanced).toEqual([])
    expect(Object.fromEntries(t.explicit)).toEqual({ foo: [0], bar: [1, 2, 3], baz: [2, 3, 4, 5] })
  })

  test('bad partition specs say what is wrong', () => {
    expect(() => parseTopics(['foo:x'])).toThrow(/topics: "foo:x": expected a partition/)
    expect(() => parseTopics(['foo:5-2'])).toThrow(/ends before it starts/)
    expect(() => parseTopics([':1'])).toThrow(/no topic name/)
  })
})

test('parseAddresses splits comma separated entries', () => {
  expect(parseAddresses(['a:1', 'b:2, c:3', ''])).toEqual(['a:1', 'b:2', 'c:3'])
  expect(() => parseAddresses([''])).toThrow(/addresses: at least one broker/)
})
