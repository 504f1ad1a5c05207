// `redis_pubsub` input: SUBSCRIBE (or PSUBSCRIBE with `use_patterns`). Pub/sub is at most once by
// nature: what is published while we are not subscribed is gone. Received messages wait in a
// queue; when it grows long the socket is paused, so Redis holds the rest rather than our memory.
import {
  autoReplayNacks,
  type ComponentContext,
  field,
  type Input,
  Message,
  NotConnected,
  type Plugin,
} from '@bento-ts/core'
import { onAbort } from '@bento-ts/core/kit'
import {
  commandError,
  connectClient,
  type RedisClient,
  type RedisConfig,
  redisClientFactory,
  redisClientFields,
} from './client.ts'

export interface PubSubInputConfig extends RedisConfig {
  channels: string[]
  use_patterns: boolean
  auto_replay_nacks: boolean
}

const pauseAbove = 10_000
const resumeBelow = 1_000

export function redisPubSubInput(c: PubSubInputConfig, context: ComponentContext): Input {
  if (c.channels.length === 0) throw new Error('channels: at least one channel is required')
  const makeClient = redisClientFactory(c)
  let client: RedisClient | undefined
  const queue: Buffer[] = []
  let paused = false
  let wake: (() => void) | undefined

  const notify = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }
  const socketOf = (r: RedisClient) => ('stream' in r ? r.stream : undefined)

  return {
    async connect(signal) {
      if (client !== undefined) return
      const r = makeClient({ name: `${context.label}-subscribe` })
      try {
        await connectClient(r, signal)
        const received = (message: Buffer) => {
          queue.push(message)
          if (!paused && queue.length > pauseAbove) {
            paused = true
            socketOf(r)?.pause()
          }
          notify()
        }
        if (c.use_patterns) {
          r.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => received(message))
          await r.psubscribe(...c.channels)
        } else {
          r.on('messageBuffer', (_channel: Buffer, message: Buffer) => received(message))
          await r.subscribe(...c.channels)
        }
        r.once('close', () => {
          if (client === r) client = undefined
          notify()
        })
      } catch (err) {
        r.disconnect()
        throw commandError(err, 'redis_pubsub: subscribe')
      }
      client = r
    },

    async read(signal) {
      for (;;) {
        const message = queue.shift()
        if (message !== undefined) {
          if (paused && queue.length < resumeBelow && client !== undefined) {
            paused = false
            socketOf(client)?.resume()
          }
          return { batch: [new Message(message)], ack: async () => {} }
        }
        if (client === undefined) {
          paused = false
          throw new NotConnected('redis_pubsub: subscription lost')
        }
        signal.throwIfAborted()
        await new Promise<void>((resolve) => {
          const unsubscribe = onAbort(signal, () => {
            wake = undefined
            resolve()
          })
          wake = () => {
            unsubscribe()
            resolve()
          }
        })
      }
    },

    async close() {
      const r = client
      client = undefined
      r?.disconnect()
      notify()
    },
  }
}

export const redisPubSubInputPlugin: Plugin<'input'> = {
  spec: {
    name: 'redis_pubsub',
    kind: 'input',
    status: 'stable',
    categories: ['Services'],
    summary:
      'Consume from a Redis publish/subscribe channel using either the SUBSCRIBE or PSUBSCRIBE commands.',
    description:
      'In order to subscribe to channels using the `PSUBSCRIBE` command set the field `use_patterns` to `true`, then you can include glob-style patterns in your channel names. For example:\n\n- `h?llo` subscribes to hello, hallo and hxllo\n- `h*llo` subscribes to hllo and heeeello\n- `h[ae]llo` subscribes to hello and hallo, but not hillo\n\nUse `\\` to escape special characters if you want to match them verbatim. Delivery is at most once: messages published while the input is not subscribed are not seen.',
    fields: [
      ...redisClientFields,
      field.array('channels', 'string', { description: 'A list of channels to consume from.' }),
      field.bool('use_patterns', {
        default: false,
        description:
          'Whether to use the PSUBSCRIBE command, allowing for glob-style patterns within target channel names.',
      }),
      field.bool('auto_replay_nacks', {
        default: true,
        description:
          'Whether messages that are rejected (nacked) at the output level should be automatically replayed indefinitely, eventually resulting in back pressure if the cause of the rejections is persistent. If set to `false` these messages will instead be deleted. Disabling auto replays can greatly improve memory efficiency of high throughput streams as the original shape of the data can be discarded immediately upon consumption and mutation.',
      }),
    ],
  },
  create: (c: PubSubInputConfig, context) =>
    autoReplayNacks(redisPubSubInput(c, context), c.auto_replay_nacks),
}
