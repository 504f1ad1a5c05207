// The shared connector conformance suite (what every connector package runs) for CONNECTOR_ID,
// against the queue server of queue-server.ts: it runs inside this test, so the suite gets its
// address from `setup` instead of a shared service.
import { connectorSuite } from '@bento-ts/test-services/conformance'
import { afterAll } from 'vitest'
import { type QueueServer, startQueueServer } from './queue-server.ts'

let server: QueueServer | undefined
afterAll(() => server?.close())

connectorSuite({
  name: 'CONNECTOR_ID',
  from: import.meta.url,
  async setup() {
    server ??= await startQueueServer()
    return { ADDRESS: server.address }
  },
  input: (v) => `
CONNECTOR_ID:
  address: ${v.env.ADDRESS}
  queue: ${v.id}`,
  output: (v) => `
CONNECTOR_ID:
  address: ${v.env.ADDRESS}
  queue: ${v.id}
  max_in_flight: ${v.maxInFlight}
  batching:
    count: ${v.batchCount}`,
  // the protocol carries no metadata, and restarts are the outage test of round-trip.test.ts
  features: { nack: true, batching: true, parallelWriters: true },
  crash: {
    maxInFlight: 8,
    batchCount: 10,
    maxDuplicates: 3 * 8 * 10,
    why: 'per kill: the batches written (max_in_flight × batch) whose ACK had not reached the server',
  },
})
