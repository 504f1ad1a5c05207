// What the conformance suite (conformance.test.ts) does not ask of every connector, against the
// queue server the test starts: a partly refused batch, the server going away, the queue rendered
// per message, and config errors at start.
import type { Message, Stream } from '@bento-ts/core'
import { eventually, streamHarness } from '@bento-ts/test-services'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { type QueueServer, startQueueServer } from './queue-server.ts'

const harness = await streamHarness<Stream, Message>(import.meta.url)

let server: QueueServer
beforeEach(async () => {
  server = await startQueueServer()
})
afterEach(async () => {
  await server.close()
})

describe('CONNECTOR_ID', () => {
  test('a partly refused batch: only the refused message is sent again', async () => {
    server.refuseOnce('m3')
    const stream = await harness.start(`
input: { generate: { count: 5, interval: "", mapping: 'root = "m" + count("partial").string()' } }
output: { CONNECTOR_ID: { address: ${server.address}, queue: partial, batching: { count: 5 } } }
`)
    await stream.done
    expect(server.accepted).toEqual(['m1', 'm2', 'm4', 'm5', 'm3'])
  })

  test('the server going away mid-stream loses nothing', async () => {
    const stream = await harness.start(`
input: { generate: { count: 300, interval: "2ms", mapping: 'root = "m" + count("outage").string()' } }
output: { CONNECTOR_ID: { address: ${server.address}, queue: outage } }
`)
    await eventually(() => server.accepted.length >= 50, { what: '50 messages published' })
    await server.stop()
    // the outage lasts a few of the output's reconnect attempts
    await new Promise((r) => setTimeout(r, 300))
    await server.start()
    await stream.done
    expect(new Set(server.accepted).size).toBe(300)
  })

  test('the queue is rendered per message', async () => {
    const reader = await harness.start(
      `input: { CONNECTOR_ID: { address: ${server.address}, queue: odd } }\noutput: { capture: odd }`,
    )
    const writer = await harness.start(`
input: { generate: { count: 6, interval: "", mapping: 'root = count("q")' } }
output:
  CONNECTOR_ID:
    address: ${server.address}
    queue: '\${! if this % 2 == 1 { "odd" } else { "even" } }'
    batching: { count: 6 }
`)
    await writer.done
    await eventually(() => harness.captured('odd').texts().length >= 3, { what: '3 odd messages' })
    await reader.stop(5000)
    expect([...harness.captured('odd').texts()].sort()).toEqual(['1', '3', '5'])
    expect(server.accepted).toHaveLength(6)
  })

  test('a bad address is a start error naming the field', async () => {
    await expect(
      harness.start('input: { stdin: {} }\noutput: { CONNECTOR_ID: { address: "nowhere" } }'),
    ).rejects.toThrow('output.CONNECTOR_ID.address: expected host:port, got "nowhere"')
  })
})
