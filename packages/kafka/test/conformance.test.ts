// The shared connector conformance suite for kafka (input and output). The reconnect after a
// broker restart is outage.test.ts (the shared broker; a private Kafka is too costly to start).
import { connectorSuite } from '@bento-ts/test-services/conformance'
import { createTopic } from './helpers.ts'
import { checkpointLimit } from './pipeline.ts'

connectorSuite({
  name: 'kafka',
  from: import.meta.url,
  service: 'kafka',
  setup: async (v) => {
    await createTopic(v.id, 2)
  },
  input: (v) => `
kafka:
  addresses: [ "${v.env.KAFKA_BROKERS}" ]
  topics: [ ${v.id} ]
  consumer_group: ${v.group}
  checkpoint_limit: ${checkpointLimit}
  commit_period: 200ms`,
  output: (v) => `
kafka:
  addresses: [ "${v.env.KAFKA_BROKERS}" ]
  topic: ${v.id}
  max_in_flight: ${v.maxInFlight}
  batching:
    count: ${v.batchCount}`,
  features: { metadata: true, nack: true, batching: true, parallelWriters: true },
  crash: {
    maxInFlight: 8,
    batchCount: 10,
    // a restarted consumer resumes at the last commit: what was read since (the checkpoint
    // window per partition, two partitions) comes again
    maxDuplicates: 3 * 2 * checkpointLimit,
    why: 'per kill: checkpoint_limit per partition, 2 partitions',
  },
})
