// The shared connector conformance suite for http_client (output) → http_server (input). No
// metadata test (http_client sends no metadata as headers unless each is named under `headers`),
// no restart (there is no server but the input itself) and no crash test: a push input holds
// nothing to redeliver, a killed server's requests fail and the client's retries are the proof,
// which the nack test already makes.
import { freePort } from '@bento-ts/test-services'
import { connectorSuite } from '@bento-ts/test-services/conformance'

connectorSuite({
  name: 'http',
  from: import.meta.url,
  setup: async () => ({ PORT: String(await freePort()) }),
  input: (v) => `
http_server:
  address: 127.0.0.1:${v.env.PORT}
  path: /${v.id}`,
  output: (v) => `
http_client:
  url: http://127.0.0.1:${v.env.PORT}/${v.id}
  verb: POST
  retry_period: 100ms
  max_in_flight: ${v.maxInFlight}
  batching:
    count: ${v.batchCount}`,
  features: { nack: true, batching: true, parallelWriters: true },
})
