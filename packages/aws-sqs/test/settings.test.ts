// The AWS client settings against moto: a role assumed through moto's STS, and custom request
// headers seen on the wire by a forwarding proxy in front of moto.
import { createServer, type IncomingHttpHeaders, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SendMessageCommand } from '@aws-sdk/client-sqs'
import { awsCredentials } from '@bento-ts/aws'
import type { ComponentContext } from '@bento-ts/core'
import { componentContext, motoSettings } from '@bento-ts/test-services'
import { afterAll, expect, test } from 'vitest'
import { sqsInput } from '../src/input.ts'
import { awsConfig, createQueue, deleteQueue, sqsClient } from './helpers.ts'

const sqs = sqsClient()
const queues: string[] = []
const never = new AbortController().signal

afterAll(async () => {
  for (const url of queues) await deleteQueue(sqs, url)
  sqs.destroy()
})

const inputConfig = (url: string) => ({
  url,
  delete_message: true,
  reset_visibility: true,
  update_visibility: true,
  max_number_of_messages: 10,
  wait_time_seconds: 1,
  custom_request_headers: {},
  ...awsConfig(),
})

test('credentials.role: temporary credentials come from STS at the configured endpoint and work', async () => {
  const base = awsConfig()
  const config = {
    ...base,
    credentials: {
      ...base.credentials,
      role: 'arn:aws:iam::123456789012:role/bento-reader',
      role_external_id: 'ext-1',
    },
  }
  const identity = await awsCredentials(config)!()
  // Keys STS hands out for an assumed role start with ASIA and come with a token and an expiry.
  expect(identity.accessKeyId).toMatch(/^ASIA/)
  expect(identity.sessionToken).toBeTruthy()
  expect(identity.expiration).toBeInstanceOf(Date)

  const url = await createQueue(sqs, 'role')
  queues.push(url)
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'as a role' }))
  const input = await sqsInput(
    { ...inputConfig(url), credentials: config.credentials },
    await componentContext<ComponentContext>(import.meta.url),
  )
  await input.connect(never)
  const { batch, ack } = await input.read(never)
  expect(batch[0]!.text()).toBe('as a role')
  await ack()
  await input.close()
})

test('custom_request_headers go out with every request', async () => {
  const target = new URL(motoSettings().endpoint)
  const seen: IncomingHttpHeaders[] = []
  const proxy = createServer((req, res) => {
    seen.push(req.headers)
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  try {
    const url = await createQueue(sqs, 'headers')
    queues.push(url)
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'via proxy' }))
    const { port } = proxy.address() as AddressInfo
    const input = await sqsInput(
      {
        ...inputConfig(url),
        endpoint: `http://127.0.0.1:${port}`,
        custom_request_headers: { 'X-Tenant': 'blue', 'x-trace': 't-1' },
      },
      await componentContext<ComponentContext>(import.meta.url),
    )
    await input.connect(never)
    const { batch, ack } = await input.read(never)
    expect(batch[0]!.text()).toBe('via proxy')
    await ack()
    await input.close()
    // GetQueueAttributes, ReceiveMessage and the DeleteMessageBatch at close all carried them.
    expect(seen.length).toBeGreaterThanOrEqual(3)
    for (const headers of seen) {
      expect(headers['x-tenant']).toBe('blue')
      expect(headers['x-trace']).toBe('t-1')
    }
  } finally {
    proxy.closeAllConnections()
    await new Promise((resolve) => proxy.close(resolve))
  }
})
