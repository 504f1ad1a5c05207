import { readFileSync } from 'node:fs'
import { eventually, freePort } from '@bento-ts/test-services'
import { Agent, request } from 'undici'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { decodeMultipart, encodeMultipart } from '../src/multipart.ts'
import { parseMediaType } from '../src/wire.ts'
import { removeTempDirs, selfSignedCert, startSink, startYaml, stopAll, waitForPort } from './helpers.ts'

afterAll(removeTempDirs)

afterEach(stopAll)

/** Starts a stream whose input is an http_server on a free port; returns its base URL. */
async function serve(input: string, rest: string, port?: number): Promise<string> {
  const p = port ?? (await freePort())
  await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${p}
${input
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
${rest}
`)
  await waitForPort(p)
  return `http://127.0.0.1:${p}`
}

describe('http_server', () => {
  test('answers with the sync response of a mapping: status, headers, metadata headers, body, request metadata', async () => {
    const base = await serve(
      `path: /items/{id}
allowed_verbs: [POST, PUT]
sync_response:
  status: '\${! @code }'
  headers:
    Content-Type: application/json
    X-Item: 'item-\${! @id }'
  metadata_headers:
    include_prefixes: [out_]`,
      `pipeline:
  processors:
    - mapping: |
        root.echo = content().string()
        root.path = @http_server_request_path
        root.verb = @http_server_verb
        root.agent = @http_server_user_agent
        root.ip = @http_server_remote_ip
        root.header = metadata("X-Test")
        root.content_type = metadata("Content-Type")
        root.query = @q
        root.id = @id
        root.cookie = @session
        meta code = "201"
        meta out_trace = "t-" + @id
output:
  sync_response: {}`,
    )
    const res = await fetch(`${base}/items/abc?q=hello&q=ignored`, {
      method: 'PUT',
      body: 'payload',
      headers: {
        'x-test': 'yes',
        'user-agent': 'tester/1',
        cookie: 'session=s1; other=o',
        'content-type': 'text/plain',
      },
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('x-item')).toBe('item-abc')
    expect(res.headers.get('out_trace')).toBe('t-abc')
    expect(await res.json()).toEqual({
      echo: 'payload',
      path: '/items/abc',
      verb: 'PUT',
      agent: 'tester/1',
      ip: '127.0.0.1',
      header: 'yes',
      content_type: 'text/plain',
      query: 'hello',
      id: 'abc',
      cookie: 's1',
    })
  })

  test('a sync_response processor answers even when the message is then deleted; no response is 200 and empty', async () => {
    const base = await serve(
      `path: /token
sync_response:
  headers:
    Content-Type: application/json`,
      `pipeline:
  processors:
    - switch:
        - check: 'content().string() == "token"'
          processors:
            - mapping: 'root = {"access_token": "abc", "expires_in": 3600}'
            - sync_response: {}
    - mapping: 'root = deleted()'
output:
  drop: {}`,
    )
    const token = await fetch(`${base}/token`, { method: 'POST', body: 'token' })
    expect(token.status).toBe(200)
    expect(await token.json()).toEqual({ access_token: 'abc', expires_in: 3600 })
    const plain = await fetch(`${base}/token`, { method: 'POST', body: 'other' })
    expect(plain.status).toBe(200)
    expect(await plain.text()).toBe('')
  })

  test('wrong verb 405, unknown path 404, nack 502 with the error, no acknowledgement in time 408', async () => {
    const base = await serve(
      `path: /in
timeout: 300ms`,
      `pipeline:
  processors:
    - switch:
        - check: 'content().string() == "slow"'
          processors:
            - sleep:
                duration: 1500ms
output:
  switch:
    cases:
      - check: 'content().string() == "bad"'
        output:
          reject: 'rejected by the test'
      - output:
          drop: {}`,
    )
    const get = await fetch(`${base}/in`)
    expect(get.status).toBe(405)
    expect(await get.text()).toBe('Incorrect method\n')
    expect((await fetch(`${base}/nowhere`, { method: 'POST' })).status).toBe(404)
    const bad = await fetch(`${base}/in`, { method: 'POST', body: 'bad' })
    expect(bad.status).toBe(502)
    expect(await bad.text()).toBe('rejected by the test\n')
    const slow = await fetch(`${base}/in`, { method: 'POST', body: 'slow' })
    expect(slow.status).toBe(408)
    expect(await slow.text()).toBe('Request timed out\n')
    expect((await fetch(`${base}/in`, { method: 'POST', body: 'fine' })).status).toBe(200)
  })

  test('a multipart request is one batch; several responses come back as multipart', async () => {
    const base = await serve(
      'path: /batch',
      `pipeline:
  processors:
    - mapping: 'root = "%v of %v: %v".format(batch_index(), batch_size(), content().string().uppercase())'
output:
  sync_response: {}`,
    )
    const body = encodeMultipart(
      ['a', 'b', 'c'].map((t) => ({ headers: [['Content-Type', 'text/plain']], body: Buffer.from(t) })),
      'XyZ',
    )
    const res = await fetch(`${base}/batch`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'multipart/mixed; boundary=XyZ' },
    })
    expect(res.status).toBe(200)
    const media = parseMediaType(res.headers.get('content-type') ?? '')
    expect(media.type).toBe('multipart/form-data')
    const parts = decodeMultipart(new Uint8Array(await res.arrayBuffer()), media.params.boundary!)
    expect(parts.map((p) => Buffer.from(p.body).toString())).toEqual(['0 of 3: A', '1 of 3: B', '2 of 3: C'])
    const broken = await fetch(`${base}/batch`, {
      method: 'POST',
      body: '--XyZ\r\nunfinished',
      headers: { 'content-type': 'multipart/mixed; boundary=XyZ' },
    })
    expect(broken.status).toBe(400)
  })

  test('CORS: preflight answered by the rules, allowed origins get the header, others pass without it', async () => {
    const base = await serve(
      `path: /cors
cors:
  enabled: true
  allowed_origins: [https://a.example, https://b.example]
  allowed_headers: [x-custom]`,
      'output:\n  drop: {}',
    )
    const preflight = await fetch(`${base}/cors`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://a.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'X-Custom, accept',
      },
    })
    expect(preflight.status).toBe(200)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://a.example')
    expect(preflight.headers.get('access-control-allow-methods')).toBe('PUT')
    expect(preflight.headers.get('access-control-allow-headers')).toBe('X-Custom')
    expect(preflight.headers.get('vary')).toBe('Origin')
    const forbiddenHeader = await fetch(`${base}/cors`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://a.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'X-Other',
      },
    })
    expect(forbiddenHeader.status).toBe(403)
    const badMethod = await fetch(`${base}/cors`, {
      method: 'OPTIONS',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'TRACE' },
    })
    expect(badMethod.status).toBe(405)
    const actual = await fetch(`${base}/cors`, {
      method: 'POST',
      body: 'x',
      headers: { origin: 'https://b.example' },
    })
    expect(actual.status).toBe(200)
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://b.example')
    const stranger = await fetch(`${base}/cors`, {
      method: 'POST',
      body: 'x',
      headers: { origin: 'https://evil.example' },
    })
    expect(stranger.status).toBe(200)
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('a rate limit resource answers 429 with Retry-After once exhausted', async () => {
    const base = await serve(
      `path: /limited
rate_limit: two_per_hour`,
      `output:
  drop: {}
rate_limit_resources:
  - label: two_per_hour
    local:
      count: 2
      interval: 1h`,
    )
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/limited`, { method: 'POST', body: String(i) })
      statuses.push(res.status)
      if (res.status === 429) retryAfter = res.headers.get('retry-after')
    }
    expect(statuses).toEqual([200, 200, 429, 429])
    expect(Number(retryAfter)).toBeGreaterThan(3000)
  })

  test('TLS with cert_file and key_file; TLS metadata; gzip when asked', async () => {
    const { certFile, keyFile } = selfSignedCert()
    const port = await freePort()
    await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${port}
    path: /secure
    cert_file: ${certFile}
    key_file: ${keyFile}
pipeline:
  processors:
    - mapping: 'root = "%v %v".format(@http_server_tls_version, @http_server_tls_cipher_suite)'
output:
  sync_response: {}
`)
    await waitForPort(port)
    const dispatcher = new Agent({ connect: { ca: readFileSync(certFile, 'utf8') } })
    try {
      const res = await request(`https://127.0.0.1:${port}/secure`, {
        method: 'POST',
        body: 'x',
        dispatcher,
        headers: { 'accept-encoding': 'gzip' },
      })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-encoding']).toBe('gzip')
      const { gunzipSync } = await import('node:zlib')
      const text = gunzipSync(Buffer.from(await res.body.arrayBuffer())).toString()
      expect(text).toMatch(/^TLSv1\.[23] TLS_\w+$/)
    } finally {
      await dispatcher.close()
    }
  })

  test('answers 503 to requests still waiting when the stream stops', async () => {
    const port = await freePort()
    const stream = await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${port}
    path: /stop
    timeout: 30s
pipeline:
  processors:
    - sleep:
        duration: 2s
output:
  drop: {}
`)
    await waitForPort(port)
    const pending = fetch(`http://127.0.0.1:${port}/stop`, { method: 'POST', body: 'x' })
    await new Promise((r) => setTimeout(r, 200))
    await stream.stop(300)
    const res = await pending
    expect(res.status).toBe(503)
  })

  test('an empty address is refused with a clear error', async () => {
    await expect(startYaml('input:\n  http_server: {}\noutput:\n  drop: {}')).rejects.toThrow(
      /address: must be set/,
    )
    await expect(
      startYaml(
        'input:\n  http_server:\n    address: 127.0.0.1:1\n    cors:\n      enabled: true\noutput:\n  drop: {}',
      ),
    ).rejects.toThrow(/at least one allowed origin/)
  })

  test('http_client → http_server of ours → plain node:http sink: payload and metadata make the trip', async () => {
    const sink = await startSink()
    try {
      const port = await freePort()
      await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${port}
    path: /relay/{kind}
pipeline:
  processors:
    - mapping: |
        root.body = content().string()
        root.kind = @kind
        root.source = metadata("X-Source")
        root.id = metadata("Msg-Id")
        root.agent = @http_server_user_agent
        root.internal = metadata("__sync_response")
output:
  http_client:
    url: ${sink.url}/final/\${! json("id") }
    verb: PUT
    headers:
      Content-Type: application/json
`)
      await waitForPort(port)
      await startYaml(`
input:
  generate:
    count: 5
    interval: ""
    mapping: |
      root = "message " + counter().string()
      meta msg_id = counter().string()
output:
  http_client:
    url: http://127.0.0.1:${port}/relay/events
    headers:
      X-Source: generator
      Msg-Id: '\${! @msg_id }'
      User-Agent: bento-ts-test
    max_in_flight: 2
`)
      await eventually(() => sink.requests.length === 5, { what: 'five requests at the sink' })
      const got = sink.requests
        .map((r) => ({
          url: r.url,
          method: r.method,
          type: r.headers['content-type'],
          body: JSON.parse(r.body.toString()),
        }))
        .sort((a, b) => a.url.localeCompare(b.url))
      expect(got).toEqual(
        [1, 2, 3, 4, 5].map((n) => ({
          url: `/final/${n}`,
          method: 'PUT',
          type: 'application/json',
          body: {
            body: `message ${n}`,
            kind: 'events',
            source: 'generator',
            id: String(n),
            agent: 'bento-ts-test',
            // no sync response in this stream, so no response store rides in the metadata
            internal: null,
          },
        })),
      )
    } finally {
      await sink.close()
    }
  })
})
