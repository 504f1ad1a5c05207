import {
  addPlugin,
  loadStreamConfig,
  type Message,
  silentLogger,
  standardEnvironment,
  startStream,
} from '@bento-ts/core'
import { eventually } from '@bento-ts/test-services'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { register } from '../src/index.ts'
import { type QueueServer, startQueueServer } from './queue-server.ts'

// Round trips through the package's input and output against the queue server the test starts.

let server: QueueServer
beforeEach(async () => {
  server = await startQueueServer()
})
afterEach(async () => {
  await server.close()
})

const env = register(standardEnvironment())

async function run(yaml: string) {
  const stream = await startStream(loadStreamConfig(yaml, env), env, { logger: silentLogger })
  return stream
}

/**
 * An environment with this package and a `collect` output that records what it is given; its
 * first `failFirst` writes fail (a nack back to the input).
 */
function collecting(failFirst = 0) {
  const got: string[] = []
  let writes = 0
  const waiters: { count: number; resolve(): void }[] = []
  const received = register(standardEnvironment())
  addPlugin(received, {
    spec: { name: 'collect', kind: 'output', summary: 'records what it is given', fields: [] },
    create: () => ({
      connect: async () => {},
      close: async () => {},
      write: async (batch: Message[]) => {
        if (++writes <= failFirst) throw new Error('refused by the test')
        for (const m of batch) got.push(m.text())
        for (const w of waiters.filter((w) => got.length >= w.count)) w.resolve()
      },
    }),
  })
  const atLeast = (count: number) =>
    new Promise<void>((resolve) => {
      if (got.length >= count) resolve()
      else waiters.push({ count, resolve })
    })
  return { env: received, got, atLeast, writes: () => writes }
}

async function consume(queue: string, count: number, failFirst = 0) {
  const c = collecting(failFirst)
  const stream = await startStream(
    loadStreamConfig(
      `input: { CONNECTOR_ID: { address: ${server.address}, queue: ${queue} } }\noutput: { collect: {} }`,
      c.env,
    ),
    c.env,
    { logger: silentLogger },
  )
  await c.atLeast(count)
  await stream.stop(5000)
  return c
}

describe('CONNECTOR_ID', () => {
  test('publishes 200 messages and consumes every one', async () => {
    const stream = await run(`
input: { generate: { count: 200, interval: "", mapping: 'root = "m" + count("round").string()' } }
output: { CONNECTOR_ID: { address: ${server.address}, queue: round } }
`)
    await stream.done
    expect(server.accepted).toHaveLength(200)
    const { got } = await consume('round', 200)
    expect(new Set(got).size).toBe(200)
  })

  test('a partly refused batch: only the refused message is sent again', async () => {
    server.refuseOnce('m3')
    const stream = await run(`
input: { generate: { count: 5, interval: "", mapping: 'root = "m" + count("partial").string()' } }
output: { CONNECTOR_ID: { address: ${server.address}, queue: partial, batching: { count: 5 } } }
`)
    await stream.done
    expect(server.accepted).toEqual(['m1', 'm2', 'm4', 'm5', 'm3'])
  })

  test('the server going away mid-stream loses nothing', async () => {
    const stream = await run(`
input: { generate: { count: 300, interval: "2ms", mapping: 'root = "m" + count("outage").string()' } }
output: { CONNECTOR_ID: { address: ${server.address}, queue: outage } }
`)
    await eventually(() => server.accepted.length >= 50, 30_000, '50 messages published')
    await server.stop()
    await new Promise((r) => setTimeout(r, 300))
    await server.start()
    await stream.done
    const distinct = new Set(server.accepted)
    expect(distinct.size).toBe(300)
  })

  test('a nacked message is delivered again, then acknowledged', async () => {
    server.publish('nack', 'once')
    const c = await consume('nack', 1, 1)
    expect(c.got).toEqual(['once'])
    expect(c.writes()).toBe(2)
    // acknowledged: a new consumer gets nothing more
    server.publish('nack', 'second')
    const again = await consume('nack', 1)
    expect(again.got).toEqual(['second'])
  })

  test('a bad address is a start error naming the field', async () => {
    await expect(
      run('input: { stdin: {} }\noutput: { CONNECTOR_ID: { address: "nowhere" } }'),
    ).rejects.toThrow('output.CONNECTOR_ID.address: expected host:port, got "nowhere"')
  })
})
