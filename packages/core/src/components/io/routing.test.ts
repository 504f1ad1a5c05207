import { describe, expect, test } from 'vitest'
import type { ParsedComponent } from '../../component.ts'
import { Message } from '../../message.ts'
import { createSwitchOutput, dropOnOutputPlugin, fallbackOutputPlugin } from './routing.ts'
import { child, fakeContext, never, recordingInput, recordingOutput, testEnvironment } from './testkit.ts'

const noWait = () => () => 0
const json = (...docs: object[]) => docs.map((d) => new Message(JSON.stringify(d)))

describe('switch output', () => {
  const cases = (...list: { check?: string; output: string; continue?: boolean }[]) =>
    list.map((c) => ({ check: c.check ?? '', output: child(c.output), continue: c.continue ?? false }))

  test('routes each message to the first case whose check passes; unmatched ones are dropped', async () => {
    const a = recordingOutput()
    const b = recordingOutput()
    const out = await createSwitchOutput(
      {
        retry_until_success: false,
        strict_mode: false,
        cases: cases({ check: 'this.type == "a"', output: 'a' }, { check: 'this.type == "b"', output: 'b' }),
      },
      fakeContext({ outputs: { a: a.output, b: b.output } }),
    )
    await out.write(
      json({ type: 'a', n: 1 }, { type: 'b', n: 2 }, { type: 'c', n: 3 }, { type: 'a', n: 4 }),
      never,
    )
    expect(a.written).toEqual([['{"type":"a","n":1}', '{"type":"a","n":4}']])
    expect(b.written).toEqual([['{"type":"b","n":2}']])
  })

  test('strict_mode nacks a batch with a message no case matched', async () => {
    const a = recordingOutput()
    const b = recordingOutput()
    const out = await createSwitchOutput(
      {
        retry_until_success: false,
        strict_mode: true,
        cases: cases({ check: 'this.type == "a"', output: 'a' }, { check: 'this.type == "b"', output: 'b' }),
      },
      fakeContext({ outputs: { a: a.output, b: b.output } }),
    )
    await expect(out.write(json({ type: 'z' }), never)).rejects.toThrow(
      'no switch output conditions were met by message',
    )
    expect(a.attempts() + b.attempts()).toBe(0)
  })

  test('continue lets a message reach later cases too; an empty check always passes', async () => {
    const a = recordingOutput()
    const b = recordingOutput()
    const out = await createSwitchOutput(
      {
        retry_until_success: false,
        strict_mode: false,
        cases: cases({ check: 'this.n > 1', output: 'a', continue: true }, { output: 'b' }),
      },
      fakeContext({ outputs: { a: a.output, b: b.output } }),
    )
    await out.write(json({ n: 1 }, { n: 2 }), never)
    expect(a.messages()).toEqual(['{"n":2}'])
    expect(b.messages()).toEqual(['{"n":1}', '{"n":2}'])
  })

  test('a check that fails or is not a boolean does not match', async () => {
    const a = recordingOutput()
    const b = recordingOutput()
    const out = await createSwitchOutput(
      {
        retry_until_success: false,
        strict_mode: false,
        cases: cases({ check: 'this.missing.deeper', output: 'a' }, { check: '"yes"', output: 'b' }),
      },
      fakeContext({ outputs: { a: a.output, b: b.output } }),
    )
    await out.write(json({ n: 1 }), never)
    expect(a.attempts() + b.attempts()).toBe(0)
  })

  test('without retry_until_success a case failure fails the write', async () => {
    const a = recordingOutput({ failAlways: 'a is down' })
    const b = recordingOutput()
    const out = await createSwitchOutput(
      {
        retry_until_success: false,
        strict_mode: false,
        cases: cases({ output: 'a', continue: true }, { output: 'b' }),
      },
      fakeContext({ outputs: { a: a.output, b: b.output } }),
    )
    await expect(out.write(json({ n: 1 }), never)).rejects.toThrow('a is down')
  })

  test('with retry_until_success a failing case is retried alone until it succeeds', async () => {
    const a = recordingOutput({ failFirst: 2 })
    const b = recordingOutput()
    const out = await createSwitchOutput(
      {
        retry_until_success: true,
        strict_mode: false,
        cases: cases({ output: 'a', continue: true }, { output: 'b' }),
      },
      fakeContext({ outputs: { a: a.output, b: b.output } }),
      noWait,
    )
    await out.write(json({ n: 1 }), never)
    expect(a.attempts()).toBe(3)
    expect(a.messages()).toEqual(['{"n":1}'])
    expect(b.attempts()).toBe(1)
  })

  test('fewer than two cases is an error', async () => {
    await expect(
      createSwitchOutput(
        { retry_until_success: false, strict_mode: false, cases: cases({ output: 'a' }) },
        fakeContext({ outputs: { a: recordingOutput().output } }),
      ),
    ).rejects.toThrow('attempting to create switch with fewer than 2 cases')
  })
})

describe('fallback output', () => {
  const create = (outputs: Record<string, ReturnType<typeof recordingOutput>>) =>
    fallbackOutputPlugin.create(
      Object.keys(outputs).map(child) as ParsedComponent[],
      fakeContext({ outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.output])) }),
    )

  test('the next output gets the batch with fallback_error when one fails', async () => {
    const first = recordingOutput({ failAlways: 'first is down' })
    const second = recordingOutput()
    const third = recordingOutput()
    const out = await create({ first, second, third })
    await out.write([new Message('hello')], never)
    expect(second.messages()).toEqual(['hello'])
    expect(second.metadata[0]![0]!.fallback_error).toBe('first is down')
    expect(third.attempts()).toBe(0)
  })

  test('the first output that succeeds is the only one written', async () => {
    const first = recordingOutput()
    const second = recordingOutput()
    const out = await create({ first, second })
    await out.write([new Message('x')], never)
    expect(first.metadata[0]![0]!.fallback_error).toBeUndefined()
    expect(second.attempts()).toBe(0)
  })

  test('when every output fails the write fails with the last error', async () => {
    const out = await create({
      first: recordingOutput({ failAlways: 'one' }),
      second: recordingOutput({ failAlways: 'two' }),
    })
    await expect(out.write([new Message('x')], never)).rejects.toThrow('two')
  })

  test('no outputs is an error', async () => {
    await expect(Promise.resolve().then(() => create({}))).rejects.toThrow(
      'attempting to create broker output type with no outputs',
    )
  })
})

describe('drop_on output', () => {
  const create = (config: Record<string, unknown>, rec: ReturnType<typeof recordingOutput>) =>
    Promise.resolve(
      dropOnOutputPlugin.create(
        { error: false, output: child('inner'), ...config },
        fakeContext({ outputs: { inner: rec.output } }),
      ),
    )

  test('error: true drops (acknowledges) failed writes', async () => {
    const rec = recordingOutput({ failAlways: 'bad request' })
    const out = await create({ error: true }, rec)
    await expect(out.write([new Message('x')], never)).resolves.toBeUndefined()
    expect(rec.attempts()).toBe(1)
  })

  test('error_patterns drop only matching errors', async () => {
    const rec = recordingOutput({ failAlways: 'status 404 not found' })
    const matching = await create({ error_patterns: ['4[0-9]{2}'] }, rec)
    await expect(matching.write([new Message('x')], never)).resolves.toBeUndefined()
    const other = await create({ error_patterns: ['^5'] }, rec)
    await expect(other.write([new Message('x')], never)).rejects.toThrow('status 404 not found')
  })

  test('error_patterns with error: true is rejected', async () => {
    await expect(create({ error: true, error_patterns: ['x'] }, recordingOutput())).rejects.toThrow(
      "field 'error_patterns' is ineffective when 'error' is set to `true`",
    )
  })

  test('back_pressure fails a write that takes too long, then drops at once while the child is stuck', async () => {
    const rec = recordingOutput({ delayMs: 150 })
    const out = await create({ back_pressure: '20ms' }, rec)
    await expect(out.write([new Message('a')], never)).rejects.toThrow(
      'experienced back pressure beyond: 20ms',
    )
    await expect(out.write([new Message('b')], never)).rejects.toThrow(
      'experienced back pressure beyond: 20ms',
    )
    expect(rec.attempts()).toBe(1)
    // Once the child caught up, writes go through again.
    await new Promise((r) => setTimeout(r, 200))
    const fast = await create({ back_pressure: '1s' }, rec)
    await fast.write([new Message('c')], never)
    expect(rec.messages()).toContain('c')
  })

  test('back_pressure with error: true drops the stuck message instead', async () => {
    const rec = recordingOutput({ delayMs: 150 })
    const out = await create({ error: true, back_pressure: '20ms' }, rec)
    await expect(out.write([new Message('a')], never)).resolves.toBeUndefined()
  })
})

describe('reject_errored', () => {
  test('under fallback: messages a processor failed go to the next output, the rest to the child', async () => {
    const good = recordingOutput()
    const dead = recordingOutput()
    const source = recordingInput(['1', '2', '3'])
    const { start } = testEnvironment({
      inputs: { src: source.input },
      outputs: { good: good.output, dead: dead.output },
    })
    const stream = await start(`
input: { test_in: src }
pipeline:
  processors:
    - mapping: 'root = if content() == "2" { throw("bad two") } else { content() }'
output:
  fallback:
    - reject_errored: { test_out: good }
    - test_out: dead
      processors:
        - mapping: 'root = content().string() + " " + @fallback_error'
`)
    await stream.done
    expect(good.messages()).toEqual(['1', '3'])
    expect(dead.messages()).toEqual(['2 failed assignment (line 1): bad two'])
    expect(source.acks.every((a) => a.error === undefined)).toBe(true)
  })

  test('alone, it nacks a failed message with its error', async () => {
    const good = recordingOutput()
    const source = recordingInput(['1', '2'])
    const { start } = testEnvironment({ inputs: { src: source.input }, outputs: { good: good.output } })
    const stream = await start(`
input: { test_in: src }
pipeline:
  processors:
    - mapping: 'root = if content() == "2" { throw("bad two") } else { content() }'
output: { reject_errored: { test_out: good } }
`)
    await stream.done
    expect(good.messages()).toEqual(['1'])
    expect(source.acks.find((a) => a.id === '2')?.error).toBe('failed assignment (line 1): bad two')
  })
})
