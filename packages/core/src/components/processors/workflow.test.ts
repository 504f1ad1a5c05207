import { describe, expect, test } from 'vitest'
import type { Message } from '../../message.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

const branches = {
  a: {
    request_map: 'root = this.x',
    processors: [{ mapping: 'root = content().uppercase()' }],
    result_map: 'root.a = content().string()',
  },
  b: {
    request_map: 'root = this.a.lowercase()',
    processors: [{ mapping: 'root = content() + "!"' }],
    result_map: 'root.b = content().string()',
  },
  c: {
    request_map: 'root = this.x',
    processors: [{ mapping: 'root = content().length()' }],
    result_map: 'root.c = this',
  },
}

const workflowOf = async (config: unknown) => {
  const p = await buildProcessor({ workflow: config })
  return async (doc: string): Promise<Message> => {
    const [[m]] = (await run(p, batchOf(doc))) as [[Message]]
    return m
  }
}

describe('workflow', () => {
  test('orders branches by their mappings and records what succeeded', async () => {
    const flow = await workflowOf({ branches })
    const m = await flow('{"x":"hi"}')
    expect(m.text()).toBe(
      '{"a":"HI","b":"hi!","c":2,"meta":{"workflow":{"succeeded":["a","b","c"]}},"x":"hi"}',
    )
    expect(m.error).toBeUndefined()
  })

  test('an explicit order is followed: a branch that runs too early fails, and the record says why', async () => {
    const flow = await workflowOf({ order: [['b'], ['a', 'c']], branches })
    const doc = JSON.parse((await flow('{"x":"hi"}')).text())
    expect(doc.a).toBe('HI')
    expect(doc.b).toBeUndefined()
    expect(doc.meta.workflow.succeeded).toEqual(['a', 'c'])
    expect(Object.keys(doc.meta.workflow.failed)).toEqual(['b'])
    expect(doc.meta.workflow.failed.b).toMatch(/^request mapping failed: /)
  })

  test('a replay skips branches that succeeded, keeps the previous record; apply limits the branches', async () => {
    const flow = await workflowOf({ branches })
    const replay = await flow('{"x":"hi","meta":{"workflow":{"succeeded":["a"]}},"a":"OLD"}')
    const doc = JSON.parse(replay.text())
    expect(doc.a).toBe('OLD')
    expect(doc.b).toBe('old!')
    expect(doc.meta.workflow).toEqual({
      previous: { succeeded: ['a'] },
      skipped: ['a'],
      succeeded: ['b', 'c'],
    })
    const only = JSON.parse((await flow('{"x":"hi","meta":{"workflow":{"apply":["c"]}}}')).text())
    expect(only.c).toBe(2)
    expect(only.a).toBeUndefined()
    expect(only.meta.workflow.skipped).toEqual(['a', 'b'])
  })

  test('without a meta_path a failed branch flags the message', async () => {
    const flow = await workflowOf({
      meta_path: '',
      branches: { bad: { processors: [{ mapping: 'root = throw("no")' }] }, good: branches.c },
    })
    const m = await flow('{"x":"abc"}')
    expect(m.error?.message).toBe('workflow branches failed: [bad]')
    expect(m.text()).toBe('{"c":3,"x":"abc"}')
  })

  test('branch resources join the workflow', async () => {
    const shared = await buildProcessor({ branch: branches.a })
    const p = await buildProcessor(
      { workflow: { branch_resources: ['a'], branches: { b: branches.b } } },
      { processors: { a: shared } },
    )
    expect(texts(await run(p, batchOf('{"x":"y"}')))).toEqual([
      ['{"a":"Y","b":"y!","meta":{"workflow":{"succeeded":["a","b"]}},"x":"y"}'],
    ])
    const notABranch = await buildProcessor(
      { workflow: { branch_resources: ['n'] } },
      { processors: { n: await buildProcessor({ noop: {} }) } },
    )
    const [[m]] = (await run(notABranch, batchOf('{}'))) as [[Message]]
    expect(m.error?.message).toBe('missing branch resource: n')
  })

  test('config errors: cycles, incomplete order, bad names', async () => {
    const cyclic = {
      p: { request_map: 'root = this.q', processors: [{ noop: {} }], result_map: 'root.p = this' },
      q: { request_map: 'root = this.p', processors: [{ noop: {} }], result_map: 'root.q = this' },
    }
    await expect(buildProcessor({ workflow: { branches: cyclic } })).rejects.toThrow(
      'failed to automatically resolve DAG, circular dependencies detected for branches: [p q]',
    )
    await expect(buildProcessor({ workflow: { order: [['a']], branches } })).rejects.toThrow(
      'the following branches were missing from order: [b c]',
    )
    await expect(buildProcessor({ workflow: { branches: { 'a.b': branches.a } } })).rejects.toThrow(
      "workflow branch name 'a.b' contains invalid characters",
    )
  })
})
