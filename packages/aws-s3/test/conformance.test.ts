// The shared connector conformance suite for aws_s3: the output uploads one object a message, the
// input reads them as moto announces them, through S3 event notifications in an SQS queue (a
// bucket scan ends once it has listed the bucket, so it could not read what is written after it
// started). No restart test: moto keeps buckets and queues in memory, so a restarted server has
// none left to reconnect to. No metadata test: moto drops user metadata whose name has an
// underscore (the suite's `suite_n`), which S3 keeps; round-trip.test.ts checks metadata both ways.
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3'
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs'
import { connectorSuite } from '@bento-ts/test-services/conformance'
import { awsYaml, s3Sdk, sqsSdk } from './helpers.ts'

const s3 = s3Sdk()
const sqs = sqsSdk()

connectorSuite({
  name: 'aws_s3',
  from: import.meta.url,
  service: 'moto',
  // a bucket per id whose new objects are announced in a queue of the same name; a short
  // visibility timeout brings back within seconds what a killed process had received
  setup: async (v) => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: v.id, Attributes: { VisibilityTimeout: '5' } }),
    )
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    )
    await s3.send(new CreateBucketCommand({ Bucket: v.id }))
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: v.id,
        NotificationConfiguration: {
          QueueConfigurations: [{ QueueArn: Attributes!.QueueArn!, Events: ['s3:ObjectCreated:*'] }],
        },
      }),
    )
    return { QUEUE_URL: QueueUrl! }
  },
  input: (v) =>
    `aws_s3: { bucket: "${v.id}", sqs: { url: "${v.env.QUEUE_URL}", wait_time_seconds: 1 }, ${awsYaml()} }`,
  output: (v) =>
    `aws_s3: { bucket: "${v.id}", path: '\${! uuid_v4() }.txt', max_in_flight: ${v.maxInFlight}, batching: { count: ${v.batchCount} }, ${awsYaml()} }`,
  features: { nack: true, batching: true, parallelWriters: true },
  crash: {
    total: 400,
    maxInFlight: 8,
    batchCount: 10,
    maxDuplicates: 3 * 100,
    why: 'per kill: the notifications received (10 a poll) whose objects were not all written, the uploads in flight (8 × 10)',
  },
})
