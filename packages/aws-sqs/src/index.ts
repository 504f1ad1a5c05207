// Components of this package. Each one declares its config spec once; `register` adds them all to
// an environment so a program includes only the connector packages it installed.
import { addPlugins, batchingField, type Environment, field, type Plugin } from '@bento-ts/core'
import { metadataExcludeField, retryBackoffFields } from '@bento-ts/core/kit'
import { awsFields } from './aws.ts'
import { type SqsInputConfig, sqsInput } from './input.ts'
import { type SqsOutputConfig, sqsOutput } from './output.ts'

export const packageName = '@bento-ts/aws-sqs'

export const sqsInputPlugin: Plugin<'input'> = {
  spec: {
    name: 'aws_sqs',
    kind: 'input',
    status: 'stable',
    categories: ['Services', 'AWS'],
    summary: 'Consume messages from an AWS SQS URL.',
    description:
      'One message per read. A message is deleted (DeleteMessageBatch) only once it was delivered; a message that could not be delivered is made visible again at once (visibility timeout 0), and while a message is under way its visibility timeout is extended, every half timeout of the queue. Adds the metadata `sqs_message_id`, `sqs_receipt_handle`, every SQS system attribute as `sqs_<snake_case>` (e.g. `sqs_approximate_receive_count`, `sqs_sent_timestamp`, `sqs_message_group_id`) and every message attribute under its own name.',
    fields: [
      field.string('url', { description: 'The SQS URL to consume from.' }),
      field.bool('delete_message', {
        default: true,
        advanced: true,
        description:
          'Whether to delete a consumed message once it was delivered. Off: the deletion is left to something else, and the message reappears after its visibility timeout.',
      }),
      field.bool('reset_visibility', {
        default: true,
        advanced: true,
        description:
          'Whether a message that could not be delivered is made visible again at once (visibility timeout 0). Off: it reappears when the visibility timeout of the queue lapses.',
      }),
      field.bool('update_visibility', {
        default: true,
        advanced: true,
        description:
          'Whether to extend the visibility timeout of messages under way, so the queue does not hand them out again while they are still being processed.',
      }),
      field.int('max_number_of_messages', {
        default: 10,
        advanced: true,
        description: 'The most messages one poll may return, 1 to 10.',
      }),
      field.int('wait_time_seconds', {
        default: 0,
        advanced: true,
        description: 'How long one poll waits for messages to arrive (long polling), 0 to 20 seconds.',
      }),
      field.map('custom_request_headers', 'string', {
        default: {},
        advanced: true,
        description: 'HTTP headers added to every request this input sends to SQS.',
      }),
      ...awsFields,
    ],
  },
  create: (config: SqsInputConfig, context) => sqsInput(config, { logger: context.logger }),
}

export const sqsOutputPlugin: Plugin<'output'> = {
  spec: {
    name: 'aws_sqs',
    kind: 'output',
    status: 'stable',
    categories: ['Services', 'AWS'],
    summary: 'Sends messages to an SQS queue.',
    description:
      'Batches go out with SendMessageBatch, 10 entries per call. Metadata becomes String message attributes (the first 10 keys in alphabetical order, as SQS takes 10 at most). `message_group_id`, `message_deduplication_id` and `delay_seconds` are interpolated for each message. When SQS accepts part of a call, only the entries it failed on its side are sent again, with the backoff below; entries it refuses as malformed fail the write.',
    fields: [
      field.string('url', { description: 'The URL of the target SQS queue.' }),
      field.interpolated('message_group_id', {
        optional: true,
        description: 'The message group ID of each message (FIFO queues).',
      }),
      field.interpolated('message_deduplication_id', {
        optional: true,
        description:
          'The deduplication ID of each message (FIFO queues without content-based deduplication).',
      }),
      field.interpolated('delay_seconds', {
        optional: true,
        description: 'How long each message stays invisible after it was sent, 0 to 900 seconds.',
      }),
      field.int('max_in_flight', {
        default: 64,
        description: 'The maximum number of message batches to have in flight at a given time.',
      }),
      metadataExcludeField('Which metadata is sent as message attributes: every key except these prefixes.'),
      batchingField,
      ...awsFields,
      ...retryBackoffFields(0, '1s', '5s', '30s'),
    ],
  },
  create(config: SqsOutputConfig, context) {
    const writer = sqsOutput(config, { logger: context.logger })
    return {
      connect: () => writer.connect(),
      write: (batch, signal) => writer.write(batch, signal),
      close: () => writer.close(),
    }
  },
}

export const plugins: Plugin[] = [sqsInputPlugin, sqsOutputPlugin]

/** Adds the aws_sqs input and output to an environment. */
export function register(env: Environment): Environment {
  return addPlugins(env, plugins)
}

export {
  type AwsClientOptions,
  type AwsConfig,
  type AwsCredentialsConfig,
  awsClientConfig,
  awsCredentials,
  awsFields,
} from './aws.ts'
export { type SqsInputConfig, sqsInput, sqsMetadataKey, toMessage } from './input.ts'
export { type SqsOutputConfig, sqsOutput } from './output.ts'
