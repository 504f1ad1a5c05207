// What the integration tests share: the server's URL, a plain client to prepare and inspect data,
// unique key names per test run, and streams built from YAML with the Redis components.
import { randomUUID } from 'node:crypto'
import type { Cache, Message, RateLimit, Stream } from '@bento-ts/core'
import { type Capture, requireService, streamHarness } from '@bento-ts/test-services'
import { Redis } from 'ioredis'

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

const harness = await streamHarness<Stream, Message>(import.meta.url)
let captures = 0

/**
 * Where an input test's messages end up: a stream's `capture: ${capture.name}` output keeps
 * copies of every message written; `hold` (when set) makes writes wait, so a test can look at
 * what is pending while messages are in flight.
 */
export const newCapture = (): Capture<Message> => harness.captured(`capture-${++captures}`)

/** Starts a stream from YAML with the Redis components and the shared `capture` output. */
export const runYaml = (yaml: string): Promise<Stream> => harness.start(yaml)

export type { Cache, RateLimit }
