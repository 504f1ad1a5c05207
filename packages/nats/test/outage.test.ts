// Broker outage: the NATS server is stopped for 10 s while a stream moves messages from one
// JetStream stream to another, then started again. The stream reconnects by itself and every
// message arrives (JetStream keeps streams and consumers on disk across the restart). The server
// is a private one of this test's own (free ports, its own store), so the shared server other
// packages' tests use is never restarted.
import { setTimeout as sleep } from 'node:timers/promises'
import { eventually, privateServer, type RestartableServer } from '@bento-ts/test-services'
import { connect, type JetStreamManager, type NatsConnection } from 'nats'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runYaml, unique } from './helpers.ts'
import { fillStream, readIds } from './streams.ts'

const total = 100_000
let nc: NatsConnection | undefined
let jsm: JetStreamManager | undefined
let server: RestartableServer
const client = (): Promise<NatsConnection> => connect({ servers: server.env.NATS_URL!, noAsyncTraces: true })

beforeAll(async () => {
  server = await privateServer('nats')
})
afterAll(async () => {
  await nc?.close().catch(() => {})
  await server.close()
})

test('a 10 s outage of the server mid-stream loses nothing', { timeout: 300_000 }, async () => {
  nc = await client()
  jsm = await nc.jetstreamManager()
  const source = unique('OUTAGEIN')
  const sink = unique('OUTAGEOUT')
  await jsm.streams.add({ name: source, subjects: [`${source}.>`] })
  await jsm.streams.add({ name: sink, subjects: [`${sink}.>`] })
  await fillStream(nc, `${source}.in`, total, (i) => JSON.stringify({ id: `m${i}` }))
  await nc.close()

  let atRestart = 0
  const stream = await runYaml(`
input:
  nats_jetstream:
    urls: [ "${server.env.NATS_URL}" ]
    subject: ${source}.>
    durable: outage
    ack_wait: 5s
pipeline:
  processors:
    - mapping: 'root.id = this.id'
output:
  nats_jetstream:
    urls: [ "${server.env.NATS_URL}" ]
    subject: ${sink}.out
`)
  try {
    const watcher = await client()
    const watchJsm = await watcher.jetstreamManager()
    await eventually(async () => (await watchJsm.streams.info(sink)).state.messages >= 5_000, {
      what: 'the stream to be under way',
    })
    await watcher.close()
    await server.stop()
    await sleep(10_000)
    await server.start()

    nc = await client()
    jsm = await nc.jetstreamManager()
    const check = jsm
    // The outage hit the stream mid-way (the stream's client reconnects within a second or so; we ask first).
    atRestart = (await check.streams.info(sink)).state.messages
    expect(atRestart).toBeLessThan(total)
    // every source message is still there after the restart
    expect((await check.streams.info(source)).state.messages).toBe(total)
    await eventually(async () => (await check.streams.info(sink)).state.messages >= total, {
      what: 'every message in the sink',
      timeoutMs: 180_000,
    })
    await eventually(
      async () => (await check.consumers.info(source, 'outage')).ack_floor.stream_seq === total,
      { what: 'every ack', timeoutMs: 60_000 },
    )
  } finally {
    await stream.stop(5000)
  }
  const ids = await readIds(nc, sink)
  const distinct = new Set(ids)
  const lost = Array.from({ length: total }, (_, i) => `m${i}`).filter((id) => !distinct.has(id))
  console.log(
    `nats outage test: ${total} messages, ${atRestart} in the sink at the restart, ${ids.length} received, lost ${lost.length}, duplicates ${ids.length - distinct.size}`,
  )
  expect(lost.slice(0, 20)).toEqual([])
  expect(distinct.size).toBe(total)
})
