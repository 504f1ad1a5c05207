// `http_client` output: sends each batch as HTTP requests. A batch of one message, or any batch
// with `batch_as_multipart`, is one request; a larger batch is sent message by message, in order.
// `propagate_response` hands the responses back to an input that answers its caller.

import {
  addSyncResponses,
  type Batch,
  BatchError,
  expectSyncResponses,
  FieldError,
  field,
  parseDuration,
} from '@bento-ts/core'
import { batchingField, defineOutput, maxInFlightField, outputSkeleton } from '@bento-ts/core/kit'
import {
  clientFields,
  createClient,
  type HttpClient,
  multipartField,
  sleep,
  UnexpectedResponse,
  withResponse,
} from './client.ts'

const description = `When the number of retries expires the message fails (is nacked) and the input redelivers it by its own rules. Codes in \`drop_on\` fail the message at once, without retries.

A batch of several messages is sent as one multipart request with \`batch_as_multipart: true\`, otherwise message by message in order. Once part of such a batch was delivered, a failure of a later message does not fail the whole batch (which would send the delivered ones again): the rest is retried until delivered; when the stream is stopping or a \`drop_on\` code answered, only the messages not delivered fail. To send a batch as one JSON array, add an \`archive\` processor with \`format: json_array\` to \`batching.processors\`.`

const fields = [
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
  maxInFlightField(64),
  batchingField,
  multipartField,
] as const

export const httpClientOutput = defineOutput({
  name: 'http_client',
  status: 'stable',
  categories: ['Network'],
  summary: 'Sends messages to an HTTP server.',
  description,
  fields,
  create(config, context) {
    if (config.max_in_flight < 1) throw new FieldError('max_in_flight', 'must be at least 1')
    // Built here, so a config the client cannot use fails at start.
    const client = createClient(config, context)
    if (config.propagate_response) expectSyncResponses(context)
    const retryPeriodMs = parseDuration(config.retry_period)
    const maxBackoffMs = parseDuration(config.max_retry_backoff)

    const sendOne = async (batch: Batch, signal: AbortSignal): Promise<void> => {
      const responses = await client.send(batch, signal)
      if (config.propagate_response)
        addSyncResponses(responses.map((r, i) => withResponse(batch[i] ?? batch[0]!, r)))
    }

    /** Message by message; once one was delivered, a failure is retried rather than failing them all. */
    const sendEach = async (batch: Batch, signal: AbortSignal): Promise<void> => {
      for (let at = 0; at < batch.length; at++) {
        let waitMs = retryPeriodMs
        for (;;) {
          try {
            await sendOne([batch[at]!], signal)
            break
          } catch (err) {
            if (at === 0) throw err
            const error = err as Error
            if (signal.aborted || (err instanceof UnexpectedResponse && err.dropped))
              throw rest(batch, at, error)
            context.logger.warn(
              `${at} of ${batch.length} messages of a batch delivered; retrying the rest: ${error.message}`,
            )
            try {
              await sleep(waitMs, signal)
            } catch {
              throw rest(batch, at, error)
            }
            waitMs = Math.min(waitMs * 2, maxBackoffMs)
          }
        }
      }
    }

    return outputSkeleton(config, {
      connect: async (): Promise<HttpClient> => client,
      write: (_client, batch, signal) =>
        batch.length <= 1 || config.batch_as_multipart ? sendOne(batch, signal) : sendEach(batch, signal),
      disconnect: (c) => c.close(),
    })
  },
})

/**
 * Giving up on a batch whose first `at` messages were delivered: only the message that failed
 * and the ones not sent yet fail, so the delivered ones are not sent again.
 */
export function rest(batch: Batch, at: number, error: Error): BatchError {
  const notSent = new Error(`not sent: an earlier message of the batch failed: ${error.message}`, {
    cause: error,
  })
  return new BatchError(
    batch,
    batch.slice(at).map((_, k) => [at + k, k === 0 ? error : notSent] as const),
  )
}
