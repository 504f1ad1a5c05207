// Brokers and routing outputs built from stream configs, with real child sinks.

import { describe, expect, test } from 'vitest'
import { recordingInput, recordingOutput, testEnvironment } from './testkit.ts'

const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`)

describe('output brokers in streams', () => {
  test('fan_out: a child failing once is retried; every child gets each message once; all acked', async () => {
    const source = recordingInput(ids(5))
    const good = recordingOutput()
    const flaky = recordingOutput({ failFirst: 1 })
    const { start } = testEnvironment({
      inputs: { src: source.input },
      outputs: { good: good.output, flaky: flaky.output },
    })
    const stream = await start(`
input: { test_in: src }
output:
  broker:
    pattern: fan_out
    outputs:
      - test_out: good
      - test_out: flaky
`)
    await stream.done
    expect(good.messages().sort()).toEqual(ids(5))
    expect(flaky.messages().sort()).toEqual(ids(5))
    expect(good.attempts()).toBe(5)
    expect(flaky.attempts()).toBe(6)
    expect(source.acks.map((a) => a.error)).toEqual(Array(5).fill(undefined))
  })

  test('broker batching groups messages before the children see them', async () => {
    const source = recordingInput(ids(6))
    const sink = recordingOutput()
    const { start } = testEnvironment({ inputs: { src: source.input }, outputs: { dst: sink.output } })
    const stream = await start(`
input: { test_in: src }
pipeline: { threads: 1 }
output:
  broker:
    outputs: [ { test_out: dst } ]
    batching: { count: 3 }
`)
    await stream.done
    expect(sink.written.map((b) => b.length)).toEqual([3, 3])
  })

  test('switch with retry output and fallback: routing, retries and dead letters from config', async () => {
    const source = recordingInput(['{"kind":"a"}', '{"kind":"b"}', '{"kind":"c"}'])
    const a = recordingOutput({ failFirst: 2 })
    const dead = recordingOutput()
    const { start } = testEnvironment({
      inputs: { src: source.input },
      outputs: { a: a.output, dead: dead.output },
    })
    const stream = await start(`
input: { test_in: src }
output:
  switch:
    cases:
      - check: this.kind == "a"
        output:
          retry:
            backoff: { initial_interval: 1ms, max_interval: 2ms }
            output: { test_out: a }
      - check: this.kind == "b"
        output:
          fallback:
            - reject: "primary is down"
            - test_out: dead
`)
    await stream.done
    expect(a.messages()).toEqual(['{"kind":"a"}'])
    expect(a.attempts()).toBe(3)
    expect(dead.messages()).toEqual(['{"kind":"b"}'])
    expect(dead.metadata[0]![0]!.fallback_error).toBe('primary is down')
    // "c" matched no case: dropped, i.e. acknowledged.
    expect(source.acks.map((x) => x.error)).toEqual([undefined, undefined, undefined])
  })

  test('stopping past the deadline cancels a broker whose child hangs; its messages are nacked', async () => {
    // (An input that is still open: stream.ts's stop() waits forever once the input has ended.)
    const source = recordingInput(ids(10_000))
    const hanging = recordingOutput({ delayMs: 60_000 })
    const { start } = testEnvironment({ inputs: { src: source.input }, outputs: { hang: hanging.output } })
    const stream = await start(`
input: { test_in: src }
output:
  broker:
    outputs: [ { test_out: hang }, { drop: {} } ]
`)
    await new Promise((r) => setTimeout(r, 50))
    const stopping = Date.now()
    await stream.stop(50)
    expect(Date.now() - stopping).toBeLessThan(1500)
    expect(source.read()).toBeGreaterThan(0)
    expect(source.acks.length).toBe(source.read())
    expect(source.acks.every((a) => a.error !== undefined)).toBe(true)
  })
})
