// The shared connector conformance suite for aws_sqs (input and output) against moto. No restart
// test: moto keeps its queues in memory, so a restarted server has none left to reconnect to.
import { CreateQueueCommand } from '@aws-sdk/client-sqs'
import { connectorSuite } from '@bento-ts/test-services/conformance'
import { awsYaml, sqsClient } from './helpers.ts'

const sqs = sqsClient()

connectorSuite({
  name: 'aws_sqs',
  from: import.meta.url,
  service: 'moto',
  // one queue per id (CreateQueue of an existing name returns its URL); a short visibility
  // timeout brings back within seconds what a killed process had received
  setup: async (v) => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: v.id, Attributes: { VisibilityTimeout: '5' } }),
    )
    return { QUEUE_URL: QueueUrl! }
  },
  input: (v) => `aws_sqs: { url: "${v.env.QUEUE_URL}", wait_time_seconds: 1, ${awsYaml()} }`,
  output: (v) =>
    `aws_sqs: { url: "${v.env.QUEUE_URL}", max_in_flight: ${v.maxInFlight}, batching: { count: ${v.batchCount} }, ${awsYaml()} }`,
  features: { metadata: true, nack: true, batching: true, parallelWriters: true },
  crash: {
    // moto answers slowly (a few hundred messages a minute here): 400 still puts every kill
    // (at 10–90 %) behind a full in-flight window of 90
    total: 400,
    maxInFlight: 8,
    batchCount: 10,
    maxDuplicates: 3 * 300,
    why: 'per kill: the poll buffer, the batches in flight (8 × 10), the deletes not yet sent',
  },
})
