// What the integration tests share: a client of the emulator for setting up and checking topics
// and subscriptions, streams built from YAML with this package registered, and a recording
// output that keeps what the stream delivered to it.
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  addPlugin,
  createLogger,
  type Environment,
  type Logger,
  loadStreamConfig,
  type Message,
  type Plugin,
  type Stream,
  standardEnvironment,
  startStream,
} from '@bento-ts/core'
import { requireService } from '@bento-ts/test-services'
import { PubSub, type Message as PubSubMessage, type Subscription, type Topic } from '@google-cloud/pubsub'
import { register } from '../src/index.ts'

export function emulator(): { host: string; project: string } {
  const env = requireService('pubsub')
  return { host: env.PUBSUB_EMULATOR_HOST!, project: env.PUBSUB_PROJECT_ID! }
}

export const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`

/** A client of the emulator for the test's own setup and checks. */
export function adminClient(): PubSub {
  const { host, project } = emulator()
  return new PubSub({ projectId: project, apiEndpoint: host, emulatorMode: true })
}

export interface Pair {
  topic: Topic
  subscription: Subscription
  delete(): Promise<void>
}

/** A fresh topic with one subscription on it. */
export async function topicAndSubscription(
  client: PubSub,
  prefix: string,
  options: Parameters<Topic['createSubscription']>[1] = {},
): Promise<Pair> {
  const [topic] = await client.createTopic(unique(prefix))
  const [subscription] = await topic.createSubscription(unique(`${prefix}-sub`), {
    ackDeadlineSeconds: 10,
    ...options,
  })
  return {
    topic,
    subscription,
    async delete() {
      await subscription.close().catch(() => {})
      await subscription.delete().catch(() => {})
      await topic.delete().catch(() => {})
    },
  }
}

export const idOf = (topicOrSub: { name: string }): string => topicOrSub.name.split('/').at(-1)!

/** Reads `count` messages from a subscription (acking each) or fails after `timeoutMs`. */
export async function receive(
  client: PubSub,
  subscriptionName: string,
  count: number,
  timeoutMs = 30_000,
): Promise<PubSubMessage[]> {
  const sub = client.subscription(subscriptionName)
  const got: PubSubMessage[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`received ${got.length} of ${count} messages from ${subscriptionName}`)),
        timeoutMs,
      )
      sub.on('message', (m: PubSubMessage) => {
        m.ack()
        got.push(m)
        if (got.length >= count) {
          clearTimeout(timer)
          resolve()
        }
      })
      sub.on('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
    })
  } finally {
    await sub.close()
  }
  return got
}

/** Whatever a subscription delivers within `ms` (acking each), to show nothing else arrived. */
export async function drain(client: PubSub, subscriptionName: string, ms: number): Promise<PubSubMessage[]> {
  const sub = client.subscription(subscriptionName)
  const got: PubSubMessage[] = []
  sub.on('message', (m: PubSubMessage) => {
    m.ack()
    got.push(m)
  })
  await sleep(ms)
  await sub.close()
  return got
}

export interface Recording {
  plugin: Plugin<'output'>
  /** every message the stream delivered, in the order written */
  messages: Message[]
  /** write attempts, failed ones included */
  attempts: number
}

/**
 * A `record` output keeping what it is given. `fail(message, attempt)` may refuse a write (the
 * stream then nacks the batch to its input).
 */
export function recordingOutput(fail?: (message: Message) => boolean): Recording {
  const recording: Recording = {
    messages: [],
    attempts: 0,
    plugin: {
      spec: { name: 'record', kind: 'output', summary: 'keeps what it is given (tests)', fields: [] },
      create: () => ({
        maxInFlight: 64,
        connect: async () => {},
        close: async () => {},
        async write(batch) {
          recording.attempts++
          for (const m of batch) if (fail?.(m)) throw new Error('record: refused on purpose')
          recording.messages.push(...batch)
        },
      }),
    },
  }
  return recording
}

export function environment(...extra: Plugin[]): Environment {
  const env = standardEnvironment()
  register(env)
  for (const plugin of extra) addPlugin(env, plugin)
  return env
}

export async function run(yaml: string, env: Environment, logger?: Logger): Promise<Stream> {
  const config = loadStreamConfig(yaml, env)
  return startStream(config, env, { logger: logger ?? createLogger({ level: 'WARN' }) })
}

/** A logger that keeps the error lines it is given. */
export function errorLog(): { logger: Logger; errors: string[] } {
  const errors: string[] = []
  const logger: Logger = {
    trace() {},
    debug() {},
    info() {},
    warn() {},
    error: (message) => {
      errors.push(message)
    },
    child: () => logger,
  }
  return { logger, errors }
}

/** A `hold` output whose writes wait until released: what the input hands out piles up in it. */
export function holdingOutput() {
  const held: { message: Message; release(): void }[] = []
  const plugin: Plugin<'output'> = {
    spec: { name: 'hold', kind: 'output', summary: 'holds writes until released (tests)', fields: [] },
    create: () => ({
      maxInFlight: 1_000_000,
      connect: async () => {},
      close: async () => {},
      write: (batch) =>
        new Promise<void>((resolve) => {
          for (const message of batch) held.push({ message, release: resolve })
        }),
    }),
  }
  return { plugin, held }
}
