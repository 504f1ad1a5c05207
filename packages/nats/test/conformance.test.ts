// The shared connector conformance suite for nats_jetstream (input and output); reconnects are
// tested on a private nats-server of this test's own, so the shared one is never restarted.
import { connectorSuite } from '@bento-ts/test-services/conformance'
import { connect } from 'nats'

connectorSuite({
  name: 'nats_jetstream',
  from: import.meta.url,
  service: 'nats',
  setup: async (v) => {
    const nc = await connect({ servers: v.env.NATS_URL, noAsyncTraces: true })
    try {
      const jsm = await nc.jetstreamManager()
      await jsm.streams.add({ name: v.id, subjects: [v.id] }).catch(async (err: Error) => {
        if (!/already in use/.test(err.message)) throw err
      })
    } finally {
      await nc.close()
    }
  },
  input: (v) => `
nats_jetstream:
  urls: [ "${v.env.NATS_URL}" ]
  subject: ${v.id}
  durable: ${v.group}
  ack_wait: 5s`,
  output: (v) => `
nats_jetstream:
  urls: [ "${v.env.NATS_URL}" ]
  subject: ${v.id}
  max_in_flight: ${v.maxInFlight}
  metadata:
    include_patterns: [ "suite_.*" ]`,
  // nats_jetstream's output has no batching in Bento
  features: { metadata: true, nack: true, parallelWriters: true, restart: 'private' },
  crash: {
    maxInFlight: 64,
    batchCount: 1,
    total: 2000,
    // what was delivered but not yet acked at a kill is redelivered after ack_wait
    maxDuplicates: 3 * 1024,
    why: 'per kill: the unacked window, max_ack_pending (1024 by default)',
  },
})
