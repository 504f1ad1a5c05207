// Shared pieces of the integration tests: the server's address, unique names, streams built from
// YAML with this package and the shared `capture` output.

import { randomUUID } from 'node:crypto'
import type { Message, Stream } from '@bento-ts/core'
import { requireService, streamHarness } from '@bento-ts/test-services'
import { connect, type NatsConnection } from 'nats'

export const natsUrl = (): string => requireService('nats').NATS_URL!

/** A name no other test (or earlier run) uses: letters and digits only, valid for streams and subjects. */
export const unique = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`

export const client = (): Promise<NatsConnection> => connect({ servers: natsUrl(), noAsyncTraces: true })

const harness = await streamHarness<Stream, Message>(import.meta.url)

/** Messages that reached the shared `capture: <name>` output, by the name the output was given. */
export const capturedOf = (name: string): Message[] => harness.captured(name).messages

/** Starts a stream from YAML; `${NATS_URL}` in it is the test server. */
export const runYaml = (yaml: string): Promise<Stream> =>
  harness.start(yaml, { vars: { ...process.env, NATS_URL: natsUrl() } })

export const text = (m: Message): string => new TextDecoder().decode(m.bytes())
