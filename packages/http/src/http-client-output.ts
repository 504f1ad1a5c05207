// `http_client` output: sends each batch as HTTP requests. A batch of one message, or any batch
// with `batch_as_multipart`, is one request; a larger batch is sent message by message, in order.
// `propagate_response` hands the responses back to an input that answers its caller.

import {
  addSyncResponses,
  type Batch,
  batchingField,
  type ComponentContext,
  expectSyncResponses,
  field,
  type Output,
  type Plugin,
  parseDuration,
} from '@bento-ts/core'
import {
  type ClientConfig,
  clientFields,
  createClient,
  sleep,
  UnexpectedResponse,
  withResponse,
} from './client.ts'

export interface HttpClientOutputConfig extends ClientConfig {
  batch_as_multipart: boolean
  propagate_response: boolean
  max_in_flight: number
}

const description = `When the number of retries expires the message fails (is nacked) and the input redelivers it by its own rules. Codes in \`drop_on\` fail the message at once, without retries.

A batch of several messages is sent as one multipart request with \`batch_as_multipart: true\`, otherwise message by message in order. Once part of such a batch was delivered, a failure of a later message does not fail the whole batch (which would send the delivered ones again): the rest is retried until delivered, unless the stream is stopping or a \`drop_on\` code answered. To send a batch as one JSON array, add an \`archive\` processor with \`format: json_array\` to \`batching.processors\`.`

export const httpClientOutputPlugin: Plugin<'output'> = {
  spec: {
    name: 'http_client',
    kind: 'output',
    status: 'stable',
    categories: ['Network'],
    summary: 'Sends messages to an HTTP server.',
    description,
    fields: [
      ...clientFields('POST', true),
      field.bool('batch_as_multipart', {
        default: false,
        advanced: true,
        description: 'Send a batch of messages as a single multipart request.',
      }),
      field.bool('propagate_response', {
        default: false,
        advanced: true,
        description: 'Return the response of the request to the input as a synchronous response.',
      }),
      field.int('max_in_flight', {
        default: 64,
        description: 'The maximum number of requests in flight at once.',
      }),
      batchingField,
      field.array(
        'multipart',
        [
          field.interpolated('content_type', { default: '', description: 'The content type of the part.' }),
          field.interpolated('content_disposition', {
            default: '',
            description: 'The content disposition of the part.',
          }),
          field.interpolated('body', { default: '', description: 'The body of the part.' }),
        ],
        {
          default: [],
          advanced: true,
          description: 'Explicit multipart parts of each request, instead of the messages.',
        },
      ),
    ],
  },
  create: (config: HttpClientOutputConfig, context) => httpClientOutput(config, context),
}

export function httpClientOutput(c: HttpClientOutputConfig, context: ComponentContext): Output {
  if (c.max_in_flight < 1) throw new Error('field max_in_flight: must be at least 1')
  const client = createClient(c, context)
  if (c.propagate_response) expectSyncResponses(context)
  const retryPeriodMs = parseDuration(c.retry_period)
  const maxBackoffMs = parseDuration(c.max_retry_backoff)

  const sendOne = async (batch: Batch, signal: AbortSignal): Promise<void> => {
    const responses = await client.send(batch, signal)
    if (c.propagate_response)
      addSyncResponses(responses.map((r, i) => withResponse(batch[i] ?? batch[0]!, r)))
  }

  return {
    connect: async () => {},
    async write(batch, signal) {
      if (batch.length <= 1 || c.batch_as_multipart) return sendOne(batch, signal)
      let delivered = 0
      for (const message of batch) {
        let waitMs = retryPeriodMs
        for (;;) {
          try {
            await sendOne([message], signal)
            delivered++
            break
          } catch (err) {
            if (delivered === 0 || signal.aborted || (err instanceof UnexpectedResponse && err.dropped))
              throw err
            context.logger.warn(
              `${delivered} of ${batch.length} messages of a batch delivered; retrying the rest: ${(err as Error).message}`,
            )
            await sleep(waitMs, signal)
            waitMs = Math.min(waitMs * 2, maxBackoffMs)
          }
        }
      }
    },
    close: () => client.close(),
    maxInFlight: c.max_in_flight,
  }
}
