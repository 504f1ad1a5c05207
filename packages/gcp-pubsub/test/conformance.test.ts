// The shared connector conformance suite for gcp_pubsub (input and output) against the emulator.
// No batching test (the output batches by its publish thresholds, no `batching` field) and no
// restart test: the emulator keeps topics and subscriptions in memory, so a restarted one has none.
import { connectorSuite } from '@bento-ts/test-services/conformance'
import { adminClient, emulator } from './helpers.ts'

const admin = adminClient()
const alreadyExists = (err: { code?: number }) => {
  if (err.code !== 6) throw err
}

connectorSuite({
  name: 'gcp_pubsub',
  from: import.meta.url,
  service: 'pubsub',
  setup: async (v) => {
    await admin.createTopic(v.id).catch(alreadyExists)
    // a short ack deadline brings back within seconds what a killed process had received
    await admin.topic(v.id).createSubscription(v.group, { ackDeadlineSeconds: 10 }).catch(alreadyExists)
  },
  input: (v) => `
gcp_pubsub:
  project: ${emulator().project}
  endpoint: ${emulator().host}
  subscription: ${v.group}`,
  output: (v) => `
gcp_pubsub:
  project: ${emulator().project}
  endpoint: ${emulator().host}
  topic: ${v.id}
  max_in_flight: ${v.maxInFlight}`,
  features: { metadata: true, nack: true, parallelWriters: true },
  crash: {
    maxInFlight: 8,
    batchCount: 1,
    // what the killed process had pulled and not acked comes back after the ack deadline
    maxDuplicates: 3 * 1000,
    why: 'per kill: the outstanding window, max_outstanding_messages (1000 by default)',
  },
})
