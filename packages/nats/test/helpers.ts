// Shared pieces of the integration tests: the server's address, unique names, streams built from
// YAML with this package registered, and a `capture` output that keeps what reached it.

import { randomUUID } from 'node:crypto'
import {
  addPlugins,
  type Environment,
  loadStreamConfig,
  type Message,
  type Plugin,
  type Stream,
  silentLogger,
  standardEnvironment,
  startStream,
} from '@bento-ts/core'
import { requireService } from '@bento-ts/test-services'
import { connect, type NatsConnection } from 'nats'
import { register } from '../src/index.ts'

export const natsUrl = (): string => requireService('nats').NATS_URL!

/** A name no other test (or earlier run) uses: letters and digits only, valid for streams and subjects. */
export const unique = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`

export const client = (): Promise<NatsConnection> => connect({ servers: natsUrl(), noAsyncTraces: true })

/** Messages that reached `capture` outputs, by the name the output was given. */
export const captured = new Map<string, Message[]>()

const captureOutput: Plugin<'output'> = {
  spec: {
    name: 'capture',
    kind: 'output',
    summary: 'test output: keeps every message it is given under its name',
    value: { name: 'capture', type: 'string', default: 'default' },
  },
  create(name: string) {
    return {
      connect: async () => {},
      async write(batch) {
        let list = captured.get(name)
        if (list === undefined) {
          list = []
          captured.set(name, list)
        }
        list.push(...batch)
      },
      close: async () => {},
    }
  },
}

export function testEnvironment(): Environment {
  const env = standardEnvironment()
  register(env)
  addPlugins(env, [captureOutput])
  return env
}

/** Starts a stream from YAML; `${NATS_URL}` in it is the test server. */
export function runYaml(yaml: string, env: Environment = testEnvironment()): Promise<Stream> {
  const config = loadStreamConfig(yaml, env, { vars: { ...process.env, NATS_URL: natsUrl() } })
  return startStream(config, env, { logger: silentLogger })
}

export const text = (m: Message): string => new TextDecoder().decode(m.bytes())
