// The http_client output's partly delivered batches, against a real server on loopback: what it
// gives up on is a BatchError naming only the messages not delivered.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BatchError, type ComponentContext, defaultsOf, Message, type Output } from '@bento-ts/core'
import { componentContext } from '@bento-ts/test-services'
import { afterEach, describe, expect, test } from 'vitest'
import { httpClientOutput, rest } from './http-client-output.ts'

let server: Server | undefined
let output: Output | undefined
afterEach(async () => {
  await output?.close()
  output = undefined
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
  server = undefined
})

/** A server answering each request body with the status `answer` gives it. */
async function sink(answer: (body: string) => number): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = []
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      bodies.push(body)
      res.statusCode = answer(body)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/in`, bodies }
}

async function open(config: Record<string, unknown>): Promise<Output> {
  const context = await componentContext<ComponentContext>(import.meta.url)
  const defaults = defaultsOf(httpClientOutput.spec.fields!)
  output = await httpClientOutput.create({ ...defaults, retry_period: '1ms', ...config }, context)
  await output.connect(new AbortController().signal)
  return output
}

describe('http_client output, a batch sent message by message', () => {
  test('a drop_on answer part way: a BatchError of that message and the ones not sent, never of the delivered', async () => {
    const s = await sink((body) => (body === 'b' ? 400 : 200))
    const out = await open({ url: s.url, drop_on: [400] })
    const batch = [new Message('a'), new Message('b'), new Message('c')]
    const err = await out.write(batch, new AbortController().signal).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BatchError)
    const failures = (err as BatchError).failures
    expect([...failures.keys()]).toEqual([batch[1], batch[2]])
    expect(failures.get(batch[1]!)!.message).toMatch(/unexpected response code \(400\)/)
    expect(failures.get(batch[2]!)!.message).toMatch(/^not sent: an earlier message of the batch failed/)
    expect(s.bodies).toEqual(['a', 'b'])
  })

  test('stopping while retrying part way: a BatchError of the rest', async () => {
    const s = await sink((body) => (body === 'b' ? 500 : 200))
    const out = await open({ url: s.url, retries: 0, retry_period: '50ms' })
    const batch = [new Message('a'), new Message('b')]
    const stop = new AbortController()
    const writing = out.write(batch, stop.signal).catch((e: unknown) => e)
    // The first message is delivered; the second keeps failing until the stream stops.
    while (s.bodies.filter((b) => b === 'b').length < 2) await new Promise((r) => setTimeout(r, 5))
    stop.abort()
    const err = await writing
    expect([...(err as BatchError).failures.keys()]).toEqual([batch[1]])
    expect(s.bodies.filter((b) => b === 'a')).toEqual(['a'])
  })

  test('a failure of the first message fails the batch as it is (nothing was delivered)', async () => {
    const s = await sink(() => 400)
    const out = await open({ url: s.url, drop_on: [400] })
    const err = await out
      .write([new Message('a'), new Message('b')], new AbortController().signal)
      .catch((e: unknown) => e)
    expect(err).not.toBeInstanceOf(BatchError)
    expect((err as Error).message).toMatch(/unexpected response code \(400\)/)
    expect(s.bodies).toEqual(['a'])
  })
})

test('rest: the failed message keeps its error, the unsent ones say why they were not sent', () => {
  const batch = [new Message('a'), new Message('b'), new Message('c')]
  const e = rest(batch, 2, new Error('boom'))
  expect([...e.failures.keys()]).toEqual([batch[2]])
  expect(e.failures.get(batch[2]!)!.message).toBe('boom')
})
