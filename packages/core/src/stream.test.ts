import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import { EndOfInput, type Input, type Output, type Processor } from './component.ts'
import * as io from './components/io/testkit.ts'
import { silentLogger } from './logger.ts'
import { type Batch, Message } from './message.ts'
import { createMetrics } from './metrics.ts'
import { autoReplayNacks } from './replay.ts'
import { lintStreamConfig } from './run.ts'
import { type BatchPolicy, outputSink } from './sink.ts'
import { runStream } from './stream.ts'

// Test doubles of our own interfaces: an input that records every ack, an output that can fail.

interface AckRecord {
  id: string
  error: Error | undefined
}

function recordingInput(ids: string[]) {
  const acks: AckRecord[] = []
  let next = 0
  const input: Input = {
    connect: async () => {},
    close: async () => {},
    async read(signal) {
      if (signal.aborted) throw new DOMException('aborted', 'AbortError')
      if (next >= ids.length) throw new EndOfInput()
      const id = ids[next++]!
      return {
        batch: [new Message(id)],
        ack: async (error) => {
          acks.push({ id, error })
        },
      }
    },
  }
  return { input, acks, read: () => next }
}

function recordingOutput(
  options: { failFirst?: number; delayMs?: number; maxInFlight?: number; hang?: boolean } = {},
) {
  const written: string[][] = []
  let attempts = 0
  let concurrent = 0
  let peak = 0
  const output: Output = {
    connect: async () => {},
    close: async () => {},
    maxInFlight: options.maxInFlight ?? 64,
    async write(batch, signal) {
      const attempt = ++attempts
      concurrent++
      peak = Math.max(peak, concurrent)
      try {
        if (options.hang) {
          await new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError'))),
          )
        }
        if (options.delayMs) await sleep(options.delayMs)
        if (attempt <= (options.failFirst ?? 0)) throw new Error(`write ${attempt} failed`)
        written.push(batch.map((m) => m.text()))
      } finally {
        concurrent--
      }
    },
  }
  return { output, written, peak: () => peak, attempts: () => attempts }
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`)

function start(
  input: Input,
  output: Output,
  processors: Processor[] = [],
  batching?: BatchPolicy,
  threads = 4,
) {
  const metrics = createMetrics()
  const sink = outputSink({
    output,
    name: 'test',
    maxInFlight: output.maxInFlight ?? 64,
    processors: [],
    ...(batching === undefined ? {} : { batching }),
    logger: silentLogger,
    metrics,
  })
  return runStream({ input, inputName: 'test', processors, threads, sink, logger: silentLogger, metrics })
}

const ackedOnceEach = (acks: AckRecord[], expected: string[]) => {
  expect(acks.map((a) => a.id).sort()).toEqual([...expected].sort())
}

describe('at-least-once delivery', () => {
  test('every message is written, then acknowledged exactly once without error', async () => {
    const source = recordingInput(ids(200))
    const sink = recordingOutput()
    await start(source.input, sink.output).done
    expect(sink.written.flat().sort()).toEqual(ids(200).sort())
    ackedOnceEach(source.acks, ids(200))
    expect(source.acks.every((a) => a.error === undefined)).toBe(true)
  })

  test('a failed write nacks its message, which is not acked as delivered', async () => {
    const source = recordingInput(ids(5))
    const sink = recordingOutput({ failFirst: 2, maxInFlight: 1 })
    await start(source.input, sink.output, [], undefined, 1).done
    ackedOnceEach(source.acks, ids(5))
    const nacked = source.acks.filter((a) => a.error !== undefined)
    expect(nacked).toHaveLength(2)
    expect(nacked.map((a) => a.error?.message)).toEqual(['write 1 failed', 'write 2 failed'])
    expect(sink.written.flat()).toEqual(['m2', 'm3', 'm4'])
  })

  test('with auto_replay_nacks a nacked message is redelivered until written; nothing is lost', async () => {
    const source = recordingInput(ids(20))
    const sink = recordingOutput({ failFirst: 7, maxInFlight: 2 })
    await start(autoReplayNacks(source.input), sink.output).done
    expect([...new Set(sink.written.flat())].sort()).toEqual(ids(20).sort())
    // Every source message is acknowledged once, and only after it was written.
    ackedOnceEach(source.acks, ids(20))
    expect(source.acks.every((a) => a.error === undefined)).toBe(true)
    expect(sink.attempts()).toBe(27)
  })

  test('a nack that arrives after the input ran dry is still replayed: the stream ends only when all is delivered', async () => {
    const source = recordingInput(ids(3))
    // Writes are slow, so every message is read (and the input has ended) before the first fails.
    const sink = recordingOutput({ failFirst: 2, delayMs: 20, maxInFlight: 4 })
    await start(autoReplayNacks(source.input), sink.output, [], undefined, 4).done
    expect(sink.written.flat().sort()).toEqual(ids(3))
    ackedOnceEach(source.acks, ids(3))
    expect(source.acks.every((a) => a.error === undefined)).toBe(true)
  })

  test('a nack that arrives while the source is idle is replayed at once, not when new data comes', async () => {
    // One message, then the source blocks (no more data) until the test releases it.
    let release!: () => void
    const idle = new Promise<void>((r) => {
      release = r
    })
    let served = 0
    const source: Input = {
      connect: async () => {},
      close: async () => {},
      async read(signal) {
        if (served === 0) {
          served++
          return { batch: [new Message('only')], ack: async () => {} }
        }
        await Promise.race([
          idle,
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        ])
        throw new EndOfInput()
      },
    }
    const sink = recordingOutput({ failFirst: 1, maxInFlight: 1 })
    const stream = start(autoReplayNacks(source), sink.output, [], undefined, 1)
    // The first write fails; the replay must be written while the source is still idle.
    for (let i = 0; i < 100 && sink.written.length === 0; i++) await sleep(10)
    expect(sink.written).toEqual([['only']])
    release()
    await stream.done
  })

  test('a processor that drops a message acks it at once without writing it', async () => {
    const dropOdd: Processor = {
      process: (batch) => [batch.filter((m) => Number(m.text().slice(1)) % 2 === 0)],
    }
    const source = recordingInput(ids(10))
    const sink = recordingOutput()
    await start(source.input, sink.output, [dropOdd]).done
    expect(sink.written.flat().sort()).toEqual(['m0', 'm2', 'm4', 'm6', 'm8'])
    ackedOnceEach(source.acks, ids(10))
    expect(source.acks.every((a) => a.error === undefined)).toBe(true)
  })

  test('a batch split in three is acked once, after all three were written, and nacked if one failed', async () => {
    const splitInThree: Processor = {
      process: (batch: Batch) => [0, 1, 2].map((i) => batch.map((m) => new Message(`${m.text()}.${i}`))),
    }
    const source = recordingInput(ids(4))
    const sink = recordingOutput({ failFirst: 1, maxInFlight: 1 })
    await start(source.input, sink.output, [splitInThree], undefined, 1).done
    ackedOnceEach(source.acks, ids(4))
    expect(source.acks.filter((a) => a.error !== undefined).map((a) => a.id)).toEqual(['m0'])
    expect(sink.written.flat()).toHaveLength(11)
  })

  test('a processor that throws nacks the batch', async () => {
    const broken: Processor = {
      process: () => {
        throw new Error('processor exploded')
      },
    }
    const source = recordingInput(ids(3))
    const sink = recordingOutput()
    await start(source.input, sink.output, [broken]).done
    expect(source.acks.map((a) => a.error?.message)).toEqual([
      'processor exploded',
      'processor exploded',
      'processor exploded',
    ])
    expect(sink.written).toEqual([])
  })

  test('writes under way never exceed max_in_flight', async () => {
    const source = recordingInput(ids(50))
    const sink = recordingOutput({ delayMs: 2, maxInFlight: 3 })
    await start(source.input, sink.output, [], undefined, 16).done
    expect(sink.peak()).toBeLessThanOrEqual(3)
    expect(sink.peak()).toBeGreaterThan(1)
    ackedOnceEach(source.acks, ids(50))
  })
})

describe('batching', () => {
  const policy = (p: Partial<BatchPolicy>): BatchPolicy => ({
    count: 0,
    byte_size: 0,
    period: '',
    check: '',
    ...p,
  })

  test('count: full batches, and the rest flushed when the input ends', async () => {
    const source = recordingInput(ids(10))
    const sink = recordingOutput({ maxInFlight: 1 })
    await start(source.input, sink.output, [], policy({ count: 3 }), 1).done
    expect(sink.written.map((b) => b.length)).toEqual([3, 3, 3, 1])
    ackedOnceEach(source.acks, ids(10))
  })

  test('with auto_replay_nacks the partial last batch still goes (the input waits for its acks)', async () => {
    // 5 messages, batches of 2: the replaying input ends only once all 5 were acknowledged, and
    // the fifth is acknowledged only once its partial batch was written.
    const source = recordingInput(ids(5))
    const sink = recordingOutput({ maxInFlight: 1 })
    await start(autoReplayNacks(source.input), sink.output, [], policy({ count: 2 }), 1).done
    expect(sink.written.map((b) => b.length)).toEqual([2, 2, 1])
    ackedOnceEach(source.acks, ids(5))
  })

  test('a failed batch write nacks every message in it and only those', async () => {
    const source = recordingInput(ids(6))
    const sink = recordingOutput({ failFirst: 1, maxInFlight: 1 })
    await start(source.input, sink.output, [], policy({ count: 3 }), 1).done
    const nacked = source.acks.filter((a) => a.error !== undefined).map((a) => a.id)
    expect(nacked.sort()).toEqual(['m0', 'm1', 'm2'])
    expect(sink.written.flat()).toEqual(['m3', 'm4', 'm5'])
  })

  test('period: a partial batch is flushed after the period', async () => {
    let served = 0
    const slowInput: Input = {
      connect: async () => {},
      close: async () => {},
      async read(signal) {
        if (served === 2) {
          await sleep(300, undefined, { signal }).catch(() => {})
          throw new EndOfInput()
        }
        served++
        return { batch: [new Message(`p${served}`)], ack: async () => {} }
      },
    }
    const sink = recordingOutput()
    const startedAt = Date.now()
    const stream = start(slowInput, sink.output, [], policy({ count: 100, period: '50ms' }))
    await sleep(200)
    // The period fired before the input ended.
    expect(sink.written).toEqual([['p1', 'p2']])
    await stream.done
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(200)
  })

  test('batch_created counts each flush by what completed it', async () => {
    const source = recordingInput(ids(7))
    const sink = recordingOutput({ maxInFlight: 1 })
    const metrics = createMetrics()
    const out = outputSink({
      output: sink.output,
      name: 'batched',
      maxInFlight: 1,
      processors: [],
      batching: policy({ count: 3 }),
      logger: silentLogger,
      metrics,
    })
    await runStream({
      input: source.input,
      inputName: 'in',
      processors: [],
      threads: 1,
      sink: out,
      logger: silentLogger,
      metrics,
    }).done
    const text = await metrics.registry.metrics()
    expect(text).toContain('batch_created{label="batched",path="batched",mechanism="count"} 2')
    expect(text).toContain('batch_created{label="batched",path="batched",mechanism="final"} 1')
  })

  test('byte_size: a batch flushes once it holds that many payload bytes', async () => {
    const source = recordingInput(['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee'])
    const sink = recordingOutput({ maxInFlight: 1 })
    await start(source.input, sink.output, [], policy({ byte_size: 8 }), 1).done
    expect(sink.written).toEqual([['aaaa', 'bbbb'], ['cccc', 'dddd'], ['eeee']])
  })
})

describe('output connection', () => {
  test('writes queued while the output connects keep their order, also against one arriving just after', async () => {
    // The window is a few microtasks wide: try every depth up to 8.
    for (let depth = 0; depth <= 8; depth++) {
      let connected!: () => void
      const written: string[] = []
      const output: Output = {
        connect: () =>
          new Promise<void>((resolve) => {
            connected = resolve
          }),
        write: async (batch) => {
          written.push(batch[0]!.text())
        },
        close: async () => {},
      }
      const sink = outputSink({
        output,
        name: 'ordered',
        maxInFlight: 64,
        processors: [],
        logger: silentLogger,
        metrics: createMetrics(),
      })
      const settled: Promise<void>[] = []
      const push = (id: string) =>
        settled.push(
          new Promise<void>((resolve, reject) => {
            const taken = sink.push([new Message(id)], (err) => (err ? reject(err) : resolve()))
            if (taken !== undefined) void taken.catch(reject)
          }),
        )
      push('a')
      push('b')
      await Promise.resolve()
      connected()
      for (let i = 0; i < depth; i++) await Promise.resolve()
      push('c')
      await Promise.all(settled)
      expect(written, `depth ${depth}`).toEqual(['a', 'b', 'c'])
      await sink.close()
    }
  })
})

describe('graceful stop', () => {
  test('stop drains messages under way: each read message is acked or nacked exactly once', async () => {
    const source = recordingInput(ids(10_000))
    const sink = recordingOutput({ delayMs: 5, maxInFlight: 4 })
    const stream = start(source.input, sink.output, [], undefined, 4)
    await sleep(50)
    await stream.stop(5_000)
    const read = source.read()
    expect(read).toBeGreaterThan(0)
    expect(read).toBeLessThan(10_000)
    ackedOnceEach(source.acks, ids(read))
    expect(source.acks.filter((a) => a.error === undefined).length).toBe(sink.written.flat().length)
  })

  test('a stop after the input ended still honours the deadline when a write hangs', async () => {
    const source = recordingInput(ids(3))
    const sink = recordingOutput({ hang: true, maxInFlight: 4 })
    const stream = start(source.input, sink.output, [], undefined, 4)
    await sleep(50)
    expect(source.read()).toBe(3)
    const stopping = Date.now()
    await stream.stop(100)
    expect(Date.now() - stopping).toBeLessThan(2_000)
    ackedOnceEach(source.acks, ids(3))
    expect(source.acks.every((a) => a.error !== undefined)).toBe(true)
    await stream.done
  })

  test('past the shutdown timeout, writes under way are cancelled and their messages nacked', async () => {
    const source = recordingInput(ids(100))
    const sink = recordingOutput({ hang: true, maxInFlight: 2 })
    const stream = start(source.input, sink.output, [], undefined, 2)
    await sleep(50)
    const stopping = Date.now()
    await stream.stop(100)
    expect(Date.now() - stopping).toBeLessThan(2_000)
    expect(source.acks.length).toBe(source.read())
    expect(source.acks.length).toBeGreaterThan(0)
    expect(source.acks.every((a) => a.error !== undefined)).toBe(true)
  })
})

describe('message copies', () => {
  test('a copy of a message that holds only a parsed value keeps its payload', () => {
    const original = Message.fromStructured({ a: 1 })
    expect(original.copy().text()).toBe('{"a":1}')
  })
})

describe('error_handling', () => {
  test('strategy reject nacks a message a processor failed instead of writing it; none writes it flagged', async () => {
    for (const strategy of ['reject', 'none'] as const) {
      const source = io.recordingInput(['1', '2', '3'])
      const sink = io.recordingOutput()
      const { start } = io.testEnvironment({ inputs: { src: source.input }, outputs: { out: sink.output } })
      const stream = await start(`
input: { test_in: src }
pipeline:
  processors:
    - mapping: 'root = if content() == "2" { throw("two") } else { content() }'
error_handling: { strategy: ${strategy} }
output: { test_out: out }
`)
      await stream.done
      if (strategy === 'reject') {
        expect(sink.messages()).toEqual(['1', '3'])
        expect([...source.acks].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
          { id: '1', error: undefined },
          { id: '2', error: 'rejected: failed assignment (line 1): two' },
          { id: '3', error: undefined },
        ])
      } else {
        expect(sink.messages()).toEqual(['1', '2', '3'])
        expect(source.acks.every((a) => a.error === undefined)).toBe(true)
      }
    }
  })

  test('an unknown strategy is a lint error', () => {
    const { env } = io.testEnvironment()
    expect(lintStreamConfig('error_handling: { strategy: retry }', env).map((p) => p.path)).toEqual([
      'error_handling.strategy',
    ])
  })
})
