import { eventually } from '@bento-ts/test-services'
import { expect, test } from 'vitest'
import { openStateStore } from '../src/index.ts'
import { brokers, capturedOf, run, uniqueTopic, withAdmin } from './helpers.ts'

interface Workflow {
  state: string
  step: number
}

test('the store rebuilds every entry after a restart, and deleted ones stay deleted', async () => {
  const topic = uniqueTopic('state')
  const first = await openStateStore<Workflow>({ brokers: brokers(), topic, partitions: 3 })
  for (let i = 0; i < 50; i++)
    await first.save(`wf-${String(i).padStart(2, '0')}`, { state: 'running', step: i })
  await Promise.all([
    first.save('wf-07', { state: 'done', step: 99 }),
    first.delete('wf-13'),
    first.delete('wf-42'),
    first.delete('never-written'),
  ])
  expect(await first.load('wf-07')).toEqual({ state: 'done', step: 99 })
  expect(await first.load('wf-13')).toBeUndefined()
  const before = await first.list()
  expect(before).toHaveLength(48)
  await first.close()

  // The topic was created compacted.
  const configs = await withAdmin((admin) =>
    admin.describeConfigs({
      resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }],
      includeSynonyms: false,
    }),
  )
  expect(configs.resources[0]!.configEntries[0]!.configValue).toBe('compact')

  // A new store (a new process, in effect) reads the topic to its end before it is ready.
  const second = await openStateStore<Workflow>({ brokers: [brokers()], topic })
  expect(second.size).toBe(48)
  expect(await second.list()).toEqual(before)
  expect(await second.load('wf-07')).toEqual({ state: 'done', step: 99 })
  expect(await second.load('wf-13')).toBeUndefined()
  expect(await second.load('wf-42')).toBeUndefined()
  expect(await second.load('never-written')).toBeUndefined()
  await second.close()
})

test('list filters by prefix and predicate, in id order, up to a limit', async () => {
  const store = await openStateStore<Workflow>({ brokers: brokers(), topic: uniqueTopic('list') })
  try {
    await Promise.all(
      ['a-3', 'a-1', 'b-1', 'a-2', 'a-4'].map((id, i) =>
        store.save(id, { state: i % 2 ? 'done' : 'running', step: i }),
      ),
    )
    expect((await store.list({ prefix: 'a-' })).map((e) => e.id)).toEqual(['a-1', 'a-2', 'a-3', 'a-4'])
    expect((await store.list({ prefix: 'a-', limit: 2 })).map((e) => e.id)).toEqual(['a-1', 'a-2'])
    expect((await store.list({ filter: (v) => v.state === 'done' })).map((e) => e.id)).toEqual(['a-1', 'a-2'])
    await store.save('ttl', { state: 'x', step: 0 }, { ttlMs: 1 })
    await new Promise((r) => setTimeout(r, 5))
    expect(await store.load('ttl')).toBeUndefined()
  } finally {
    await store.close()
  }
})

test('a second instance following the topic sees the first one’s writes', async () => {
  const topic = uniqueTopic('follow')
  const a = await openStateStore<number>({ brokers: brokers(), topic })
  const b = await openStateStore<number>({ brokers: brokers(), topic })
  try {
    await a.save('x', 1)
    await a.save('x', 2)
    await eventually(() => b.load('x'), { what: 'x = 2 in b', until: (v) => v === 2, timeoutMs: 30_000 })
    await b.delete('x')
    await eventually(() => a.load('x'), {
      what: 'x gone in a',
      until: (v) => v === undefined,
      timeoutMs: 30_000,
    })
  } finally {
    await Promise.all([a.close(), b.close()])
  }
})

test('errors name the operation', async () => {
  const store = await openStateStore<number>({ brokers: brokers(), topic: uniqueTopic('err') })
  await store.close()
  await expect(store.save('k', 1)).rejects.toThrow(/^kafka\/save: /)
  await expect(store.delete('k')).rejects.toThrow(/^kafka\/delete: /)
  await expect(
    openStateStore({ brokers: '127.0.0.1:1', topic: 'nope', openTimeoutMs: 2000, clientId: 'x' }),
  ).rejects.toThrow(/^kafka\/open: /)
})

test('the kafka cache backs dedupe across stream runs', async () => {
  const topic = uniqueTopic('dedupe')
  const config = (capture: string) => `
cache_resources:
  - label: seen
    kafka:
      addresses: [ "${brokers()}" ]
      topic: ${topic}
input:
  generate:
    count: 40
    interval: ""
    mapping: 'root = {"id": counter() % 10}'
pipeline:
  processors:
    - dedupe:
        cache: seen
        key: '\${! json("id") }'
    - cache:
        resource: seen
        operator: set
        key: 'last'
        value: '\${! json("id") }'
output:
  capture: ${capture}
`
  const first = await run(config('dedupe-1'))
  await first.done
  expect(
    capturedOf('dedupe-1')
      .map((m) => (JSON.parse(m.text()) as { id: number }).id)
      .sort(),
  ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  // A later run rebuilds the cache from the topic: every id is a duplicate now.
  const second = await run(config('dedupe-2'))
  await second.done
  expect(capturedOf('dedupe-2')).toHaveLength(0)
  const store = await openStateStore<number>({ brokers: brokers(), topic })
  expect(await store.load('last')).toBeTypeOf('number')
  expect(store.size).toBe(11)
  await store.close()
})
