import { describe, expect, test } from 'vitest'
import { Message } from '../../message.ts'
import { SyncResponseStore, syncResponseKey } from '../../sync-response.ts'
import { syncResponseOf } from './batch-utils.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

describe('split', () => {
  test('by count (default 1) and by byte size', async () => {
    expect(texts(await run(await buildProcessor({ split: {} }), batchOf('a', 'b')))).toEqual([['a'], ['b']])
    expect(texts(await run(await buildProcessor({ split: { size: 2 } }), batchOf('a', 'b', 'c')))).toEqual([
      ['a', 'b'],
      ['c'],
    ])
    const bySize = await buildProcessor({ split: { size: 0, byte_size: 5 } })
    expect(texts(await run(bySize, batchOf('aa', 'bb', 'c', 'dddddddd', 'e')))).toEqual([
      ['aa', 'bb', 'c'],
      ['dddddddd'],
      ['e'],
    ])
  })
})

describe('select_parts', () => {
  test('picks by index in the given order, negative from the end, out of range ignored', async () => {
    const p = await buildProcessor({ select_parts: { parts: [2, 0, -1, 9] } })
    expect(texts(await run(p, batchOf('0', '1', '2', '3')))).toEqual([['2', '0', '3']])
    expect(await run(await buildProcessor({ select_parts: { parts: [5] } }), batchOf('0'))).toEqual([])
  })
})

describe('insert_part', () => {
  test('inserts interpolated content with the metadata of the first message', async () => {
    const p = await buildProcessor({ insert_part: { content: 'hello ${! @who }' } })
    const out = await run(p, [new Message('a', [['who', 'you']]), new Message('b')])
    expect(texts(out)).toEqual([['a', 'b', 'hello you']])
    expect(out[0]![2]!.metadata.get('who')).toBe('you')
    const first = await buildProcessor({ insert_part: { index: 0, content: 'x' } })
    expect(texts(await run(first, batchOf('a', 'b')))).toEqual([['x', 'a', 'b']])
    const farBack = await buildProcessor({ insert_part: { index: -10, content: 'x' } })
    expect(texts(await run(farBack, batchOf('a', 'b')))).toEqual([['x', 'a', 'b']])
    const beforeLast = await buildProcessor({ insert_part: { index: -2, content: 'x' } })
    expect(texts(await run(beforeLast, batchOf('a', 'b')))).toEqual([['a', 'x', 'b']])
  })
})

describe('bounds_check', () => {
  test('drops batches outside the count and size bounds', async () => {
    const p = await buildProcessor({ bounds_check: { max_part_size: 3, max_parts: 2 } })
    expect(texts(await run(p, batchOf('ab', 'c')))).toEqual([['ab', 'c']])
    expect(await run(p, batchOf('abcd'))).toEqual([])
    expect(await run(p, batchOf(''))).toEqual([])
    expect(await run(p, batchOf('a', 'b', 'c'))).toEqual([])
  })
})

describe('noop and sync_response', () => {
  test('noop passes the batch on', async () => {
    const batch = batchOf('a')
    expect(await run(await buildProcessor({ noop: {} }), batch)).toEqual([batch])
    expect(await run(await buildProcessor({ noop: null }), batch)).toEqual([batch])
  })

  test('sync_response keeps a snapshot of each message as its response', async () => {
    const batch = batchOf('reply')
    await run(await buildProcessor({ sync_response: {} }), batch)
    batch[0]!.setBytes('changed later')
    expect(syncResponseOf(batch[0]!)?.text()).toBe('reply')
  })

  test('sync_response adds a snapshot to the store the message carries in its metadata', async () => {
    const store = new SyncResponseStore()
    const batch = batchOf('reply', 'other')
    batch[0]!.metadata.set(syncResponseKey, store)
    await run(await buildProcessor({ sync_response: {} }), batch)
    batch[0]!.setBytes('changed later')
    expect(store.messages.map((m) => m.text())).toEqual(['reply'])
  })
})
