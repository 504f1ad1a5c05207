// What the integration tests share: the server's URL, a plain client to prepare and inspect data,
// unique key names per test run, and streams built from YAML with the Redis components.
import { randomUUID } from 'node:crypto'
import {
  addPlugin,
  type Cache,
  type Environment,
  loadStreamConfig,
  type Message,
  type Plugin,
  type RateLimit,
  type Stream,
  silentLogger,
  standardEnvironment,
  startStream,
} from '@bento-ts/core'
import { requireService } from '@bento-ts/test-services'
import { Redis } from 'ioredis'
import { register } from '../src/index.ts'

export const redisUrl = (): string => requireService('redis').REDIS_URL!

/** A client of our own (RESP2, like the components), for setting up and checking. */
export function testClient(): Redis {
  const url = new URL(redisUrl())
  const client = new Redis({
    host: url.hostname,
    port: Number(url.port),
    protocol: 2,
    maxRetriesPerRequest: 3,
  })
  client.on('error', () => {})
  return client
}

/** Key names no other test run shares. */
export const unique = (what: string): string => `test:${what}:${randomUUID().slice(0, 8)}`

export function redisEnvironment(): Environment {
  const env = standardEnvironment()
  register(env)
  return env
}

/**
 * Where an input test's messages end up: the `capture` output of the test's environment keeps
 * copies of every message written; `hold` (when set) makes writes wait, so a test can look at
 * what is pending while messages are in flight.
 */
export interface Capture {
  messages: Message[]
  hold: Promise<void> | undefined
}

export function capturePlugin(capture: Capture): Plugin<'output'> {
  return {
    spec: { name: 'capture', kind: 'output', summary: 'test sink', fields: [] },
    create: () => ({
      async connect() {},
      async write(batch) {
        if (capture.hold !== undefined) await capture.hold
        for (const m of batch) capture.messages.push(m.copy())
      },
      async close() {},
    }),
  }
}

export async function runYaml(yaml: string, capture?: Capture): Promise<Stream> {
  const env = redisEnvironment()
  if (capture !== undefined) addPlugin(env, capturePlugin(capture))
  return startStream(loadStreamConfig(yaml, env), env, { logger: silentLogger })
}

export type { Cache, RateLimit }
