// `redis_pubsub` input: SUBSCRIBE (or PSUBSCRIBE with `use_patterns`). Pub/sub is at most once by
// nature: what is published while we are not subscribed is gone. Received messages wait in a
// queue; when it grows long the socket is paused, so Redis holds the rest rather than our memory.
import {
  type ComponentContext,
  type ConfigOf,
  FieldError,
  field,
  type Input,
  Message,
  NotConnected,
} from '@bento-ts/core'
import { autoReplayNacksField, defineInput, inputSkeleton, onAbort } from '@bento-ts/core/kit'
import {
  commandError,
  connectClient,
  type RedisClient,
  redisClientFactory,
  redisClientFields,
} from './client.ts'

const fields = [
  ...redisClientFields,
  field.array('channels', 'string', { description: 'A list of channels to consume from.' }),
  field.bool('use_patterns', {
    default: false,
    description:
      'Whether to use the PSUBSCRIBE command, allowing for glob-style patterns within target channel names.',
  }),
  autoReplayNacksField(),
] as const

export type PubSubInputConfig = ConfigOf<typeof fields>

const pauseAbove = 10_000
const resumeBelow = 1_000

interface Subscription {
  client: RedisClient
  /** the link closed: what is queued is still delivered, then the skeleton connects again */
  lost: boolean
}

export function redisPubSubInput(c: PubSubInputConfig, context: ComponentContext): Promise<Input> {
  if (c.channels.length === 0) throw new FieldError('channels', 'at least one channel is required')
  const makeClient = redisClientFactory(c)
  const queue: Buffer[] = []
  let paused = false
  let wake: (() => void) | undefined

  const notify = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }
  const socketOf = (r: RedisClient) => ('stream' in r ? r.stream : undefined)

  return inputSkeleton(c, context, {
    async connect(signal) {
      const r = makeClient({ name: `${context.label}-subscribe` })
      const subscription: Subscription = { client: r, lost: false }
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
          subscription.lost = true
          notify()
        })
      } catch (err) {
        r.disconnect()
        throw commandError(err, 'redis_pubsub: subscribe')
      }
      return subscription
    },

    async read(subscription, signal) {
      for (;;) {
        const message = queue.shift()
        if (message !== undefined) {
          if (paused && queue.length < resumeBelow && !subscription.lost) {
            paused = false
            socketOf(subscription.client)?.resume()
          }
          return { batch: [new Message(message)], ack: async () => {} }
        }
        if (subscription.lost) {
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

    async disconnect(subscription) {
      subscription.lost = true
      subscription.client.disconnect()
      notify()
    },
  })
}

export const redisPubSubInputPlugin = defineInput({
  name: 'redis_pubsub',
  status: 'stable',
  categories: ['Services'],
  summary:
    'Consume from a Redis publish/subscribe channel using either the SUBSCRIBE or PSUBSCRIBE commands.',
  description:
    'In order to subscribe to channels using the `PSUBSCRIBE` command set the field `use_patterns` to `true`, then you can include glob-style patterns in your channel names. For example:\n\n- `h?llo` subscribes to hello, hallo and hxllo\n- `h*llo` subscribes to hllo and heeeello\n- `h[ae]llo` subscribes to hello and hallo, but not hillo\n\nUse `\\` to escape special characters if you want to match them verbatim. Delivery is at most once: messages published while the input is not subscribed are not seen.',
  fields,
  create: redisPubSubInput,
})
