import { freePort } from '@bento-ts/test-services'
import { afterEach, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { startSink, startYaml, stopAll, waitForPort } from './helpers.ts'

afterEach(stopAll)

/** Opens a websocket and collects what the server sends, as text. */
async function connect(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers })
  const received: string[] = []
  const waiters: (() => void)[] = []
  ws.on('message', (data) => {
    received.push(data.toString())
    for (const w of waiters.splice(0)) w()
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const next = async (count: number): Promise<string[]> => {
    const deadline = Date.now() + 30_000
    while (received.length < count) {
      if (Date.now() > deadline)
        throw new Error(`waited for ${count} websocket messages, got ${received.length}`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
    return received.slice(0, count)
  }
  return { ws, received, next }
}

test('websocket round trip: frames in, sync responses out in order, handshake metadata', async () => {
  const port = await freePort()
  await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${port}
    path: /post
    ws_path: /ws/{room}
    ws_welcome_message: welcome
pipeline:
  processors:
    - mapping: 'root = "%v %v %v %v".format(@room, @user, metadata("X-Client"), content().string().uppercase())'
output:
  sync_response: {}
`)
  await waitForPort(port)
  const client = await connect(`ws://127.0.0.1:${port}/ws/lobby?user=ann`, { 'x-client': 'c1' })
  try {
    expect(await client.next(1)).toEqual(['welcome'])
    for (const text of ['one', 'two', 'three']) client.ws.send(text)
    expect(await client.next(4)).toEqual([
      'welcome',
      'lobby ann c1 ONE',
      'lobby ann c1 TWO',
      'lobby ann c1 THREE',
    ])
  } finally {
    client.ws.close()
  }
})

test('websocket: a nacked frame is delivered again until it goes through', async () => {
  // The sink refuses the first two attempts; with retries: 0 each refusal nacks the frame.
  let refusals = 2
  const sink = await startSink(() => (refusals-- > 0 ? 500 : 200))
  try {
    const port = await freePort()
    await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${port}
    ws_path: /ws
output:
  broker:
    pattern: fan_out_sequential_fail_fast
    outputs:
      - http_client:
          url: ${sink.url}/frames
          retries: 0
      - sync_response: {}
`)
    await waitForPort(port)
    const client = await connect(`ws://127.0.0.1:${port}/ws`)
    try {
      client.ws.send('frame')
      expect(await client.next(1)).toEqual(['frame'])
      expect(sink.requests.map((r) => [r.body.toString(), r.status])).toEqual([
        ['frame', 500],
        ['frame', 500],
        ['frame', 200],
      ])
    } finally {
      client.ws.close()
    }
  } finally {
    await sink.close()
  }
})

test('websocket: a rate limited frame gets ws_rate_limit_message and waits for its turn', async () => {
  const port = await freePort()
  await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${port}
    ws_path: /ws
    ws_rate_limit_message: slow down
    rate_limit: one_per_second
output:
  sync_response: {}
rate_limit_resources:
  - label: one_per_second
    local:
      count: 1
      interval: 500ms
`)
  await waitForPort(port)
  const client = await connect(`ws://127.0.0.1:${port}/ws`)
  try {
    client.ws.send('a')
    client.ws.send('b')
    // At least one refusal; the second frame still comes back once the interval is over.
    let got = await client.next(3)
    while (got.at(-1) === 'slow down') got = await client.next(got.length + 1)
    expect(got[0]).toBe('a')
    expect(got.at(-1)).toBe('b')
    expect(got.slice(1, -1).length).toBeGreaterThan(0)
    expect(new Set(got.slice(1, -1))).toEqual(new Set(['slow down']))
  } finally {
    client.ws.close()
  }
})

test('websocket: a cross-origin handshake is refused unless CORS allows the origin', async () => {
  const port = await freePort()
  await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${port}
    ws_path: /ws
    cors:
      enabled: true
      allowed_origins: [https://app.example]
output:
  sync_response: {}
`)
  await waitForPort(port)
  await expect(connect(`ws://127.0.0.1:${port}/ws`, { origin: 'https://evil.example' })).rejects.toThrow(
    /403/,
  )
  const allowed = await connect(`ws://127.0.0.1:${port}/ws`, { origin: 'https://app.example' })
  allowed.ws.send('hi')
  expect(await allowed.next(1)).toEqual(['hi'])
  allowed.ws.close()
})
