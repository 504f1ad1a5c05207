import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import { EndOfInput, type Input } from '../../component.ts'
import { silentLogger } from '../../logger.ts'
import { Message } from '../../message.ts'
import { batchedInput, createBrokerInput, fanInInput } from './broker-input.ts'
import { child, fakeContext, never, recordingInput, recordingOutput, testEnvironment } from './testkit.ts'

const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

async function drain(input: Input) {
  const reads: { texts: string[]; ack: (e?: Error) => Promise<void> }[] = []
  await input.connect(never)
  for (;;) {
    try {
      const { batch, ack } = await input.read(never)
      reads.push({ texts: batch.map((m) => m.text()), ack })
    } catch (err) {
      if (err instanceof EndOfInput) return reads
      throw err
    }
  }
}

const policy = (p: Record<string, unknown>) => ({ count: 0, byte_size: 0, period: '', check: '', ...p })

describe('broker input', () => {
  test('fan-in reads every child to its end; each message once; acks reach the right child', async () => {
    const a = recordingInput(ids(10, 'a'))
    const b = recordingInput(ids(7, 'b'))
    const reads = await drain(fanInInput([a.input, b.input], silentLogger))
    expect(reads.flatMap((r) => r.texts).sort()).toEqual([...ids(10, 'a'), ...ids(7, 'b')].sort())
    for (const r of reads) await r.ack()
    expect(a.acks.map((x) => x.id).sort()).toEqual(ids(10, 'a').sort())
    expect(b.acks.map((x) => x.id).sort()).toEqual(ids(7, 'b').sort())
  })

  test('batching by count groups reads; the batch ack acknowledges each read in it', async () => {
    const a = recordingInput(ids(7, 'a'))
    const reads = await drain(batchedInput(fanInInput([a.input], silentLogger), policy({ count: 3 }), []))
    expect(reads.map((r) => r.texts)).toEqual([['a0', 'a1', 'a2'], ['a3', 'a4', 'a5'], ['a6']])
    await reads[1]!.ack(new Error('nope'))
    expect(a.acks).toEqual([
      { id: 'a3', error: 'nope' },
      { id: 'a4', error: 'nope' },
      { id: 'a5', error: 'nope' },
    ])
  })

  test('batching by period hands on a partial batch once the period passed', async () => {
    let served = 0
    const slow: Input = {
      connect: async () => {},
      close: async () => {},
      async read(signal) {
        if (served >= 2) {
          await sleep(10_000, undefined, { signal })
          throw new EndOfInput()
        }
        served++
        return { batch: [new Message(`p${served}`)], ack: async () => {} }
      },
    }
    const input = batchedInput(fanInInput([slow], silentLogger), policy({ count: 10, period: '30ms' }), [])
    const started = Date.now()
    const { batch } = await input.read(never)
    expect(batch.map((m) => m.text())).toEqual(['p1', 'p2'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
    await input.close()
  })

  test('closing nacks a batch a child read but nobody took', async () => {
    const a = recordingInput(ids(3, 'a'))
    const input = fanInInput([a.input], silentLogger)
    await input.connect(never)
    await sleep(10)
    await input.close()
    expect(a.acks).toEqual([{ id: 'a0', error: 'broker input is shutting down' }])
  })

  test('copies builds the inputs that many times; no inputs is an error', async () => {
    let built = 0
    const context = fakeContext()
    context.build.input = async () => {
      built++
      return recordingInput(['x']).input
    }
    const input = await createBrokerInput(
      { copies: 3, inputs: [child('x')], batching: policy({}) as never },
      context,
    )
    expect(built).toBe(3)
    expect((await drain(input)).flatMap((r) => r.texts)).toEqual(['x', 'x', 'x'])
    await expect(
      createBrokerInput({ copies: 1, inputs: [], batching: policy({}) as never }, fakeContext()),
    ).rejects.toThrow('attempting to create broker input type with no inputs')
  })

  test('through a stream config: generate children merged, batched, every message delivered', async () => {
    const sink = recordingOutput()
    const { start } = testEnvironment({ outputs: { dst: sink.output } })
    const stream = await start(`
input:
  broker:
    inputs:
      - generate: { mapping: 'root = "a"', count: 5, interval: "" }
      - generate: { mapping: 'root = "b"', count: 4, interval: "" }
    batching:
      count: 3
output: { test_out: dst }
`)
    await stream.done
    expect(sink.messages().sort()).toEqual(['a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'])
    expect(sink.written.every((b) => b.length <= 3)).toBe(true)
    expect(sink.written.some((b) => b.length === 3)).toBe(true)
  })
})
