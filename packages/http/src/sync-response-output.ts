// `sync_response` output: hands each message back to the input that read it, when that input can
// answer its caller (http_server); for other inputs it is a no-op that succeeds, as in Bento.

import { addSyncResponses, expectSyncResponses } from '@bento-ts/core'
import { defineOutput, outputSkeleton } from '@bento-ts/core/kit'

export const syncResponseOutput = defineOutput({
  name: 'sync_response',
  status: 'stable',
  categories: ['Utility'],
  summary:
    'Returns the final message payload back to the input origin of the message, where it is dealt with according to that specific input type.',
  description:
    'For most inputs this mechanism is ignored entirely, in which case the sync response is dropped without penalty. With `http_server` the messages become the HTTP response (or websocket reply) once the request is acknowledged.',
  fields: [],
  create(config, context) {
    expectSyncResponses(context)
    // Nothing to connect to; 64 writes at once, the runtime's default (Bento's field-less output).
    return outputSkeleton(config, {
      connect: async () => undefined,
      write: async (_none, batch) => addSyncResponses(batch),
      disconnect: async () => {},
    })
  },
})
