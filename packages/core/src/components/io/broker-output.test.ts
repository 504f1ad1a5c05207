import { describe, expect, test } from 'vitest'
import type { Output } from '../../component.ts'
import { Message } from '../../message.ts'
import { createBrokerOutput } from './broker-output.ts'
import { child, fakeContext, never, recordingOutput } from './testkit.ts'

const noWait = () => () => 0
const batch = (...texts: string[]) => texts.map((t) => new Message(t))

async function broker(pattern: string, outputs: Record<string, Output>, copies = 1) {
  return createBrokerOutput(
    { pattern: pattern as never, copies, outputs: Object.keys(outputs).map(child) },
    fakeContext({ outputs }),
    noWait,
  )
}

describe('broker output: fan_out', () => {
  test('a failing child is retried alone; no child gets a message twice after it took it', async () => {
    const a = recordingOutput()
    const flaky = recordingOutput({ failFirst: 3 })
    const c = recordingOutput()
    const out = await broker('fan_out', { a: a.output, flaky: flaky.output, c: c.output })
    for (const id of ['m0', 'm1', 'm2', 'm3']) await out.write(batch(id), never)
    for (const r of [a, flaky, c]) expect(r.messages()).toEqual(['m0', 'm1', 'm2', 'm3'])
    // The healthy children were written once per message, the flaky one retried only itself.
    expect(a.attempts()).toBe(4)
    expect(c.attempts()).toBe(4)
    expect(flaky.attempts()).toBe(7)
  })

  test('concurrent writes with a failing child still deliver each message once per child', async () => {
    const a = recordingOutput({ delayMs: 1 })
    const flaky = recordingOutput({ failFirst: 5, delayMs: 1 })
    const out = await broker('fan_out', { a: a.output, flaky: flaky.output })
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`)
    await Promise.all(ids.map((id) => out.write(batch(id), never)))
    for (const r of [a, flaky]) {
      expect(r.messages().sort()).toEqual([...ids].sort())
      expect(new Set(r.messages()).size).toBe(r.messages().length)
    }
    expect(a.attempts()).toBe(20)
  })

  test('each child gets its own copy of the batch', async () => {
    const mutator: Output = {
      connect: async () => {},
      close: async () => {},
      write: async (b) => {
        for (const m of b) m.setBytes('changed')
      },
    }
    const a = recordingOutput()
    const out = await broker('fan_out_sequential', { mutator, a: a.output })
    await out.write(batch('original'), never)
    expect(a.messages()).toEqual(['original'])
  })

  test('fan_out_fail_fast fails the write on the first child error, without retries', async () => {
    const a = recordingOutput()
    const bad = recordingOutput({ failAlways: 'boom' })
    const out = await broker('fan_out_fail_fast', { a: a.output, bad: bad.output })
    await expect(out.write(batch('m0'), never)).rejects.toThrow('boom')
    expect(bad.attempts()).toBe(1)
    expect(a.messages()).toEqual(['m0'])
  })
})

describe('broker output: other patterns', () => {
  test('fan_out_sequential writes a child only after the previous one took the message', async () => {
    const order: string[] = []
    const tracking = (name: string, failFirst = 0): Output => {
      let attempts = 0
      return {
        connect: async () => {},
        close: async () => {},
        async write(b) {
          attempts++
          if (attempts <= failFirst) {
            order.push(`${name}:fail`)
            throw new Error('nope')
          }
          order.push(`${name}:${b[0]!.text()}`)
        },
      }
    }
    const out = await broker('fan_out_sequential', {
      first: tracking('first', 2),
      second: tracking('second'),
    })
    await out.write(batch('x'), never)
    await out.write(batch('y'), never)
    expect(order).toEqual(['first:fail', 'first:fail', 'first:x', 'second:x', 'first:y', 'second:y'])
  })

  test('fan_out_sequential_fail_fast stops at the first failing child', async () => {
    const bad = recordingOutput({ failAlways: 'down' })
    const after = recordingOutput()
    const out = await broker('fan_out_sequential_fail_fast', { bad: bad.output, after: after.output })
    await expect(out.write(batch('x'), never)).rejects.toThrow('down')
    expect(after.attempts()).toBe(0)
  })

  test('round_robin hands each batch to the next child in turn, and errors go back', async () => {
    const a = recordingOutput()
    const b = recordingOutput({ failFirst: 1 })
    const c = recordingOutput()
    const out = await broker('round_robin', { a: a.output, b: b.output, c: c.output })
    const results = await Promise.allSettled(
      ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'].map((id) => out.write(batch(id), never)),
    )
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ])
    expect(a.messages()).toEqual(['m0', 'm3'])
    expect(b.messages()).toEqual(['m4'])
    expect(c.messages()).toEqual(['m2', 'm5'])
  })

  test('greedy gives work to the child that is free', async () => {
    const slow = recordingOutput({ delayMs: 200 })
    const fast = recordingOutput()
    const out = await broker('greedy', { slow: slow.output, fast: fast.output })
    const stuck = out.write(batch('s'), never)
    for (const id of ['f1', 'f2', 'f3', 'f4']) await out.write(batch(id), never)
    await stuck
    expect(slow.messages()).toEqual(['s'])
    expect(fast.messages()).toEqual(['f1', 'f2', 'f3', 'f4'])
  })

  test('copies builds each output that many times', async () => {
    let built = 0
    const a = recordingOutput()
    const context = fakeContext({ outputs: { a: a.output } })
    const build = context.build.output
    context.build.output = async (p) => {
      built++
      return build(p)
    }
    await createBrokerOutput({ pattern: 'round_robin', copies: 3, outputs: [child('a')] }, context, noWait)
    expect(built).toBe(3)
  })

  test('no outputs is an error', async () => {
    await expect(broker('fan_out', {})).rejects.toThrow(
      'attempting to create broker output type with no outputs',
    )
  })

  test('an aborted write rejects even when a child hangs', async () => {
    const hanging = recordingOutput({ delayMs: 60_000 })
    const out = await broker('fan_out', { hanging: hanging.output, other: recordingOutput().output })
    const controller = new AbortController()
    const writing = out.write(batch('x'), controller.signal)
    controller.abort()
    await expect(writing).rejects.toThrow()
  })
})
