// `http` processor: sends each message (or the whole batch, as multipart) to a URL and replaces
// the payload with the response; response headers picked by `extract_headers` and
// `http_status_code` become metadata. A failed request flags the message with the error (and the
// status code, when there was a response) and passes it on.

import { type Batch, field, type Message, type Processor } from '@bento-ts/core'
import { defineProcessor } from '@bento-ts/core/kit'
import { clientFields, createClient, UnexpectedResponse, withResponse } from './client.ts'

const fields = [
  ...clientFields('POST', false),
  field.bool('batch_as_multipart', {
    default: false,
    advanced: true,
    description: 'Send message batches as a single request using RFC1341 format.',
  }),
  field.bool('parallel', {
    default: false,
    description: 'When processing batched messages, whether to send messages of the batch in parallel.',
  }),
] as const

export const httpProcessor = defineProcessor({
  name: 'http',
  status: 'stable',
  categories: ['Integration'],
  summary:
    'Performs an HTTP request using a message batch as the request body, and replaces the original message parts with the body of the response.',
  description:
    'Each message of a batch is sent as its own request (in parallel with `parallel: true`), or the whole batch as one multipart request with `batch_as_multipart: true`. The response replaces the payload; metadata `http_status_code` and the headers selected by `extract_headers` are added. A request that failed after its retries flags the message with the error, and sets `http_status_code` when a response came back.',
  fields,
  create(c, context): Processor {
    const client = createClient(c, context)
    const closing = new AbortController()

    const failed = (messages: Batch, err: unknown): Message[] => {
      context.logger.error(`HTTP request failed: ${(err as Error).message}`)
      return messages.map((original) => {
        const m = original.copy()
        if (err instanceof UnexpectedResponse) m.metadata.set('http_status_code', String(err.code))
        m.error = err as Error
        return m
      })
    }

    /** One request for the messages; their results in order. */
    const call = async (messages: Batch): Promise<Message[]> => {
      try {
        const responses = await client.send(messages, closing.signal)
        return responses.map((r, i) => withResponse(messages[i] ?? messages[0]!, r))
      } catch (err) {
        return failed(messages, err)
      }
    }

    return {
      async process(batch) {
        let out: Message[]
        if (c.batch_as_multipart || batch.length === 1) out = await call(batch)
        else if (c.parallel) out = (await Promise.all(batch.map((m) => call([m])))).flat()
        else {
          out = []
          for (const m of batch) out.push(...(await call([m])))
        }
        if (out.length === 0) throw new Error('HTTP response did not return a result')
        return [out]
      },
      async close() {
        closing.abort(new Error('http processor closed'))
        await client.close()
      },
    }
  },
})
