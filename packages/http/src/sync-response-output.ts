// `sync_response` output: hands each message back to the input that read it, when that input can
// answer its caller (http_server); for other inputs it is a no-op that succeeds, as in Bento.

import { addSyncResponses, expectSyncResponses, type Plugin } from '@bento-ts/core'

export const syncResponseOutput: Plugin<'output'> = {
  spec: {
    name: 'sync_response',
    kind: 'output',
    status: 'stable',
    categories: ['Utility'],
    summary:
      'Returns the final message payload back to the input origin of the message, where it is dealt with according to that specific input type.',
    description:
      'For most inputs this mechanism is ignored entirely, in which case the sync response is dropped without penalty. With `http_server` the messages become the HTTP response (or websocket reply) once the request is acknowledged.',
    fields: [],
  },
  create(_config, context) {
    expectSyncResponses(context)
    return {
      connect: async () => {},
      write: async (batch) => addSyncResponses(batch),
      close: async () => {},
      maxInFlight: 64,
    }
  },
}
