// The shared connector conformance suite for redis_streams (input and output); reconnects are
// tested on a private Redis of this test's own, so the shared server is never restarted.
import { connectorSuite } from '@bento-ts/test-services/conformance'

connectorSuite({
  name: 'redis_streams',
  from: import.meta.url,
  service: 'redis',
  input: (v) => `
redis_streams:
  url: ${v.env.REDIS_URL}
  streams: [${v.id}]
  consumer_group: ${v.group}
  start_from_oldest: true
  commit_period: 100ms`,
  output: (v) => `
redis_streams:
  url: ${v.env.REDIS_URL}
  stream: ${v.id}
  max_in_flight: ${v.maxInFlight}
  batching:
    count: ${v.batchCount}`,
  features: { metadata: true, nack: true, batching: true, parallelWriters: true, restart: 'private' },
  crash: {
    maxInFlight: 8,
    batchCount: 10,
    // what was written but not yet XACKed at a kill: the in-flight window plus an XACK round
    maxDuplicates: 3 * (8 * 10 + 1024 + 100),
    why: 'per kill: max_in_flight × batch, one XACK round (1024), the read buffer (limit 100)',
  },
})
