import { describe, expect, test } from 'vitest'
import { Message } from '../../message.ts'
import { targetsProvided, targetsUsed } from './branch.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

describe('branch', () => {
  test('request_map builds the request, result_map merges the result into the origin', async () => {
    const p = await buildProcessor({
      branch: {
        request_map: 'root = this.id',
        processors: [{ mapping: 'root = content().uppercase()' }],
        result_map: 'root.up = content().string()',
      },
    })
    const out = await run(p, batchOf('{"id":"foo","some":"x"}'))
    expect(texts(out)).toEqual([['{"id":"foo","some":"x","up":"FOO"}']])
  })

  test('request starts from origin metadata; in result_map @ is the origin and metadata() the result', async () => {
    const p = await buildProcessor({
      branch: {
        request_map: 'root = ""\nmeta seen = @o',
        processors: [{ mutation: 'meta r = "from-branch"\nmeta o = "changed"' }],
        result_map: 'meta from_result = metadata("r")\nroot.origin_o = @o\nroot.seen = metadata("seen")',
      },
    })
    const m = new Message('{"a":1}', [['o', 'origin']])
    const [[result]] = (await run(p, [m])) as [[Message]]
    expect(result.text()).toBe('{"a":1,"origin_o":"origin","seen":"origin"}')
    expect(result.metadata.get('from_result')).toBe('from-branch')
    expect(result.metadata.get('o')).toBe('origin')
    expect(result.metadata.has('r')).toBe(false)
  })

  test('without request_map the branch starts with an exact copy; without result_map the origin is unchanged', async () => {
    const p = await buildProcessor({
      branch: { processors: [{ mapping: 'root = "replaced"\nmeta x = "y"' }] },
    })
    const m = new Message('{"keep":true}', [['k', 'v']])
    const out = await run(p, [m])
    expect(texts(out)).toEqual([['{"keep":true}']])
    expect([...out[0]![0]!.metadata]).toEqual([['k', 'v']])
    expect(out[0]![0]!.error).toBeUndefined()
  })

  test('root = deleted() in request_map skips the branch for that message', async () => {
    const p = await buildProcessor({
      branch: {
        request_map: 'root = if this.type == "foo" { this } else { deleted() }',
        processors: [{ mapping: 'root = "hit"' }],
        result_map: 'root.r = content().string()',
      },
    })
    const out = await run(p, batchOf('{"type":"foo"}', '{"type":"bar"}', '{"type":"foo","n":2}'))
    expect(texts(out)).toEqual([
      ['{"r":"hit","type":"foo"}', '{"type":"bar"}', '{"n":2,"r":"hit","type":"foo"}'],
    ])
  })

  test('failures flag the origin with where they happened, and leave it unchanged', async () => {
    const requestFails = await buildProcessor({
      branch: { request_map: 'root = this.a.number()', processors: [{ noop: {} }] },
    })
    const [[m1]] = (await run(requestFails, batchOf('{"a":"x"}'))) as [[Message]]
    expect(m1.error?.message).toMatch(/^request mapping failed: failed assignment \(line 1\): /)
    expect(m1.text()).toBe('{"a":"x"}')

    const childFails = await buildProcessor({
      branch: {
        processors: [{ mapping: 'root = throw("boom")' }],
        result_map: 'root.never = true',
      },
    })
    const [[m2]] = (await run(childFails, batchOf('{"a":1}'))) as [[Message]]
    expect(m2.error?.message).toBe('processors failed: failed assignment (line 1): boom')
    expect(m2.text()).toBe('{"a":1}')

    const resultFails = await buildProcessor({
      branch: { processors: [{ noop: {} }], result_map: 'root.x = this.missing.uppercase()' },
    })
    const [[m3]] = (await run(resultFails, batchOf('{"a":1}'))) as [[Message]]
    expect(m3.error?.message).toMatch(/^result mapping failed: failed assignment \(line 1\): /)
    expect(m3.text()).toBe('{"a":1}')
  })

  test('children that change the message count fail the whole batch', async () => {
    const p = await buildProcessor({
      branch: {
        processors: [{ mapping: 'root = if this.drop == true { deleted() }' }],
        result_map: 'root.ok = true',
      },
    })
    const out = await run(p, batchOf('{"drop":true}', '{"drop":false}'))
    expect(out[0]!.map((m) => m.error?.message)).toEqual([
      'message count from branch processors does not match request, started with 1 messages, finished with 2',
      'message count from branch processors does not match request, started with 1 messages, finished with 2',
    ])
    expect(texts(out)).toEqual([['{"drop":true}', '{"drop":false}']])
  })

  test('an origin error does not reach the branch, and is kept when the branch succeeds', async () => {
    const p = await buildProcessor({
      branch: {
        processors: [{ mapping: 'root = if errored() { "saw error" } else { "clean" }' }],
        result_map: 'root.r = content().string()',
      },
    })
    const m = new Message('{}')
    m.error = new Error('earlier')
    const [[out]] = (await run(p, [m])) as [[Message]]
    expect(out.text()).toBe('{"r":"clean"}')
    expect(out.error?.message).toBe('earlier')
  })

  test('needs at least one child processor', async () => {
    await expect(buildProcessor({ branch: { processors: [] } })).rejects.toThrow(
      'the branch processor requires at least one child processor',
    )
  })

  test('targets used and provided, for ordering workflow branches', () => {
    expect(targetsUsed('root.id = this.doc.id\nroot.k = @kafka_key')).toEqual([
      ['path', 'doc', 'id'],
      ['metadata', 'kafka_key'],
    ])
    expect(targetsProvided('root.foo.bar = this\nmeta code = 5\nbaz = 1\nroot = this')).toEqual([
      ['path', 'foo', 'bar'],
      ['metadata', 'code'],
      ['path', 'baz'],
      ['path'],
    ])
  })
})
