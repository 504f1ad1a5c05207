import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import { recordingInput, recordingOutput, testEnvironment } from './testkit.ts'

const ids = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
let pipeNumber = 0
const freshPipe = () => `pipe_${process.pid}_${pipeNumber++}`

describe('inproc', () => {
  test('messages written by one stream are read by another; acks flow back to the first input', async () => {
    const pipe = freshPipe()
    const source = recordingInput(ids(20))
    const sink = recordingOutput()
    const { start } = testEnvironment({ inputs: { src: source.input }, outputs: { dst: sink.output } })
    const consumer = await start(`
input: { inproc: ${pipe} }
output: { test_out: dst }
`)
    const producer = await start(`
input: { test_in: src }
output: { inproc: ${pipe} }
`)
    await producer.done
    expect(sink.messages().sort()).toEqual(ids(20).sort())
    expect(source.acks.map((a) => a.id).sort()).toEqual(ids(20).sort())
    expect(source.acks.every((a) => a.error === undefined)).toBe(true)
    await consumer.stop(1000)
  })

  test('a nack on the reading side fails the write: the first input gets the error', async () => {
    const pipe = freshPipe()
    const source = recordingInput(ids(3))
    const { start } = testEnvironment({ inputs: { src: source.input } })
    const consumer = await start(`
input: { inproc: ${pipe} }
output: { reject: "not today" }
`)
    const producer = await start(`
input: { test_in: src }
output: { inproc: ${pipe} }
`)
    await producer.done
    expect(source.acks).toHaveLength(3)
    expect(source.acks.every((a) => a.error === 'not today')).toBe(true)
    await consumer.stop(1000)
  })

  test('with nobody reading, writes wait (backpressure) and nothing is acknowledged', async () => {
    const pipe = freshPipe()
    const source = recordingInput(ids(5))
    const sink = recordingOutput()
    const { start } = testEnvironment({ inputs: { src: source.input }, outputs: { dst: sink.output } })
    const producer = await start(`
input: { test_in: src }
output: { inproc: ${pipe} }
`)
    await sleep(100)
    expect(source.acks).toEqual([])
    expect(producer.inFlight).toBeGreaterThan(0)
    // A reader turning up late gets everything.
    const consumer = await start(`
input: { inproc: ${pipe} }
output: { test_out: dst }
`)
    await producer.done
    expect(sink.messages().sort()).toEqual(ids(5).sort())
    expect(source.acks.every((a) => a.error === undefined)).toBe(true)
    await consumer.stop(1000)
  })

  test('several readers of one pipe share its messages; each message is read once', async () => {
    const pipe = freshPipe()
    const source = recordingInput(ids(40))
    const first = recordingOutput({ delayMs: 1 })
    const second = recordingOutput({ delayMs: 1 })
    const { start } = testEnvironment({
      inputs: { src: source.input },
      outputs: { one: first.output, two: second.output },
    })
    const readers = [
      await start(`
input: { inproc: ${pipe} }
output: { test_out: one }
`),
      await start(`
input: { inproc: ${pipe} }
output: { test_out: two }
`),
    ]
    const producer = await start(`
input: { test_in: src }
output: { inproc: ${pipe} }
`)
    await producer.done
    const all = [...first.messages(), ...second.messages()]
    expect(all.sort()).toEqual(ids(40).sort())
    expect(first.messages().length).toBeGreaterThan(0)
    expect(second.messages().length).toBeGreaterThan(0)
    for (const r of readers) await r.stop(1000)
  })

  test('a reading stream stops promptly while waiting for a pipe that never comes', async () => {
    const { start } = testEnvironment()
    const consumer = await start(`
input: { inproc: ${freshPipe()} }
output: { drop: {} }
`)
    await sleep(20)
    const started = Date.now()
    await consumer.stop(1000)
    expect(Date.now() - started).toBeLessThan(500)
  })
})
