import { createHmac, generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import { connect as netConnect, type Socket } from 'node:net'
import { join } from 'node:path'
import { eventually, freePort } from '@bento-ts/test-services'
import { importSPKI, jwtVerify } from 'jose'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { decodeMultipart } from '../src/multipart.ts'
import { parseMediaType } from '../src/wire.ts'
import {
  removeTempDirs,
  type Sink,
  selfSignedCert,
  startSink,
  startYaml,
  stopAll,
  tempDir,
  waitForPort,
} from './helpers.ts'

afterAll(removeTempDirs)

const sinks: Sink[] = []
afterEach(async () => {
  await stopAll()
  await Promise.all(sinks.splice(0).map((s) => s.close()))
})

async function sink(...args: Parameters<typeof startSink>): Promise<Sink> {
  const s = await startSink(...args)
  sinks.push(s)
  return s
}

/** `count` messages `{"id": n}` with metadata m_id and other, as fast as possible. */
const generate = (count: number) => `
input:
  generate:
    count: ${count}
    interval: ""
    mapping: |
      root.id = counter()
      meta m_id = counter().string()
      meta other = "not sent"
`

/** A relay: an http_server on a free port whose output is the given http_client config. */
async function relay(output: string, extra = ''): Promise<string> {
  const port = await freePort()
  await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${port}
    path: /{rest}
    timeout: 20s
output:
${output}
${extra}
`)
  await waitForPort(port)
  return `http://127.0.0.1:${port}`
}

describe('http_client output', () => {
  test('url, verb and headers interpolated per message; metadata only as included', async () => {
    const s = await sink()
    await startYaml(`${generate(3)}
output:
  http_client:
    url: ${s.url}/items/\${! json("id") }?q=1
    verb: PATCH
    headers:
      X-Id: 'id-\${! @m_id }'
      Content-Type: application/json
    metadata:
      include_prefixes: [m_]
`)
    await eventually(() => s.requests.length === 3, { what: 'three requests' })
    const got = s.requests
      .map((r) => ({
        method: r.method,
        url: r.url,
        id: r.headers['x-id'],
        meta: r.headers.m_id,
        other: r.headers.other,
        type: r.headers['content-type'],
        body: r.body.toString(),
      }))
      .sort((a, b) => a.url.localeCompare(b.url))
    expect(got).toEqual(
      [1, 2, 3].map((n) => ({
        method: 'PATCH',
        url: `/items/${n}?q=1`,
        id: `id-${n}`,
        meta: String(n),
        other: undefined,
        type: 'application/json',
        body: `{"id":${n}}`,
      })),
    )
  })

  test('batch_as_multipart sends a batch as one multipart request, with part metadata', async () => {
    const s = await sink()
    await startYaml(`${generate(6)}
output:
  http_client:
    url: ${s.url}/multi
    batch_as_multipart: true
    metadata:
      include_prefixes: [m_]
    batching:
      count: 3
`)
    await eventually(() => s.requests.length === 2, { what: 'two multipart requests' })
    const parts = s.requests.flatMap((r) => {
      const media = parseMediaType(String(r.headers['content-type']))
      expect(media.type).toBe('multipart/form-data')
      return decodeMultipart(r.body, media.params.boundary!).map((p) => ({
        body: Buffer.from(p.body).toString(),
        headers: Object.fromEntries(p.headers),
      }))
    })
    expect(parts.map((p) => p.body).sort()).toEqual([1, 2, 3, 4, 5, 6].map((n) => `{"id":${n}}`))
    for (const p of parts) {
      expect(p.headers['content-type']).toBe('application/octet-stream')
      expect(p.body).toBe(`{"id":${p.headers.m_id}}`)
    }
  })

  test('a batch as a JSON array (archive in batching.processors), and a plain batch message by message', async () => {
    const arrays = await sink()
    const single = await sink()
    await startYaml(`${generate(4)}
output:
  broker:
    outputs:
      - http_client:
          url: ${arrays.url}/array
          headers:
            Content-Type: application/json
          batching:
            count: 4
            processors:
              - archive:
                  format: json_array
      - http_client:
          url: ${single.url}/one
          max_in_flight: 1
          batching:
            count: 4
`)
    await eventually(() => arrays.requests.length === 1 && single.requests.length === 4, {
      what: 'the array and four singles',
    })
    expect(JSON.parse(arrays.requests[0]!.body.toString())).toEqual([
      { id: 1 },
      { id: 2 },
      { id: 3 },
      { id: 4 },
    ])
    expect(arrays.requests[0]!.headers['content-type']).toBe('application/json')
    expect(single.requests.map((r) => r.body.toString())).toEqual([1, 2, 3, 4].map((n) => `{"id":${n}}`))
  })

  test('payload and multipart replace the message as the body', async () => {
    const payloads = await sink()
    const parts = await sink()
    await startYaml(`${generate(1)}
output:
  broker:
    outputs:
      - http_client:
          url: ${payloads.url}/payload
          payload: 'id=\${! json("id") }'
      - http_client:
          url: ${parts.url}/form
          multipart:
            - content_type: text/plain
              content_disposition: 'form-data; name="id"'
              body: '\${! json("id") }'
            - content_type: application/json
              content_disposition: 'form-data; name="doc"'
              body: '\${! content() }'
`)
    await eventually(() => payloads.requests.length === 1 && parts.requests.length === 1, {
      what: 'both requests',
    })
    expect(payloads.requests[0]!.body.toString()).toBe('id=1')
    expect(payloads.requests[0]!.headers['content-type']).toBe('application/octet-stream')
    const media = parseMediaType(String(parts.requests[0]!.headers['content-type']))
    expect(media.type).toBe('multipart/form-data')
    const decoded = decodeMultipart(parts.requests[0]!.body, media.params.boundary!)
    expect(decoded.map((p) => [Object.fromEntries(p.headers), Buffer.from(p.body).toString()])).toEqual([
      [{ 'content-type': 'text/plain', 'content-disposition': 'form-data; name="id"' }, '1'],
      [{ 'content-type': 'application/json', 'content-disposition': 'form-data; name="doc"' }, '{"id":1}'],
    ])
  })

  test('a sink that answers 500 for a while: everything delivered, nothing that succeeded sent twice', async () => {
    // Two of every three requests fail until 90 requests were made; then everything succeeds.
    let seen = 0
    const s = await sink(() => {
      seen++
      return seen <= 90 && seen % 3 !== 0 ? 500 : 200
    })
    await startYaml(`${generate(60)}
output:
  http_client:
    url: ${s.url}/flaky
    retries: 1
    retry_period: 5ms
    max_in_flight: 4
    batching:
      count: 5
`)
    await eventually(
      () => new Set(s.requests.filter((r) => r.status === 200).map((r) => r.body.toString())).size === 60,
      { what: 'all 60 delivered' },
    )
    // Let anything still in flight land before counting.
    await new Promise((r) => setTimeout(r, 300))
    const delivered = new Map<string, number>()
    for (const r of s.requests) {
      if (r.status !== 200) continue
      const id = String(JSON.parse(r.body.toString()).id)
      delivered.set(id, (delivered.get(id) ?? 0) + 1)
    }
    expect([...delivered.keys()].map(Number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, i) => i + 1),
    )
    expect([...delivered.values()].every((n) => n === 1)).toBe(true)
    expect(s.requests.filter((r) => r.status === 500).length).toBeGreaterThan(30)
  })

  test('drop_on fails at once, other errors are retried, backoff_on retried until success, successful_on is success', async () => {
    let throttled = 0
    const s = await sink((req) => {
      if (req.url === '/dropped') return 400
      if (req.url === '/broken') return 500
      if (req.url === '/accepted') return 409
      if (req.url === '/throttled') return throttled++ < 2 ? 429 : 200
      return 200
    })
    const base = await relay(`  http_client:
    url: ${s.url}/\${! @rest }
    retries: 3
    retry_period: 5ms
    drop_on: [400]
    successful_on: [409]`)
    const count = (url: string) => s.requests.filter((r) => r.url === url).length

    const dropped = await fetch(`${base}/dropped`, { method: 'POST', body: 'x' })
    expect(dropped.status).toBe(502)
    expect(await dropped.text()).toMatch(/unexpected response code \(400\)/)
    expect(count('/dropped')).toBe(1)

    const broken = await fetch(`${base}/broken`, { method: 'POST', body: 'x' })
    expect(broken.status).toBe(502)
    expect(count('/broken')).toBe(4)

    expect((await fetch(`${base}/accepted`, { method: 'POST', body: 'x' })).status).toBe(200)
    expect(count('/accepted')).toBe(1)

    expect((await fetch(`${base}/throttled`, { method: 'POST', body: 'x' })).status).toBe(200)
    expect(s.requests.filter((r) => r.url === '/throttled').map((r) => r.status)).toEqual([429, 429, 200])
  })

  test('rate_limit: a request waits for the rate limit resource', async () => {
    const s = await sink()
    const port = await freePort()
    const stream = await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${port}
    timeout: 1s
output:
  http_client:
    url: ${s.url}/limited
    rate_limit: once
rate_limit_resources:
  - label: once
    local:
      count: 1
      interval: 1h
`)
    await waitForPort(port)
    expect((await fetch(`http://127.0.0.1:${port}/post`, { method: 'POST', body: 'first' })).status).toBe(200)
    // The second waits on the rate limit longer than the input's timeout.
    expect((await fetch(`http://127.0.0.1:${port}/post`, { method: 'POST', body: 'second' })).status).toBe(
      408,
    )
    expect(s.requests.map((r) => r.body.toString())).toEqual(['first'])
    // The write still waiting on the rate limit is cancelled by the stop deadline.
    await stream.stop(100)
  })

  test('propagate_response: the sink answers the original caller, with extracted headers', async () => {
    const s = await sink((req, res) => {
      res.setHeader('X-Reply-Id', 'r7')
      res.setHeader('X-Other', 'no')
      res.writeHead(202).end(`sink got ${req.body.toString()}`)
      return undefined
    })
    const port = await freePort()
    await startYaml(`
input:
  http_server:
    address: 127.0.0.1:${port}
    sync_response:
      status: '\${! @http_status_code }'
      metadata_headers:
        include_prefixes: [x-reply]
output:
  http_client:
    url: ${s.url}/answer
    propagate_response: true
    extract_headers:
      include_prefixes: [x-reply]
`)
    const base = `http://127.0.0.1:${port}`
    await waitForPort(port)
    const res = await fetch(`${base}/post`, { method: 'POST', body: 'hello' })
    expect(res.status).toBe(202)
    expect(res.headers.get('x-reply-id')).toBe('r7')
    expect(res.headers.get('x-other')).toBeNull()
    expect(await res.text()).toBe('sink got hello')
  })

  test('proxy_url: requests go through the proxy', async () => {
    const s = await sink()
    let tunnels = 0
    let forwarded = 0
    const proxy = createServer((req, res) => {
      // absolute-form requests of a plain HTTP proxy
      forwarded++
      const target = new URL(req.url ?? '')
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: req.method,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        },
      )
      req.pipe(upstream)
    })
    proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      tunnels++
      const [host, port] = (req.url ?? '').split(':')
      const upstream = netConnect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()))
    const address = proxy.address()
    const proxyPort = typeof address === 'object' && address !== null ? address.port : 0
    try {
      await startYaml(`${generate(2)}
output:
  http_client:
    url: ${s.url}/proxied
    proxy_url: http://127.0.0.1:${proxyPort}
`)
      await eventually(() => s.requests.length === 2, { what: 'two requests through the proxy' })
      expect(tunnels + forwarded).toBeGreaterThan(0)
      expect(s.requests.every((r) => r.url === '/proxied')).toBe(true)
    } finally {
      proxy.closeAllConnections()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    }
  })
})

describe('http processor', () => {
  test('the response replaces the payload; status code and extracted headers as metadata; failures flagged', async () => {
    const api = await sink((req, res) => {
      const body = req.body.toString()
      if (body.includes('"id":2')) {
        res.writeHead(500).end('no two')
        return undefined
      }
      res.setHeader('X-Echo-Len', String(body.length))
      res.writeHead(201).end(body.toUpperCase())
      return undefined
    })
    const out = await sink()
    await startYaml(`${generate(3)}
pipeline:
  processors:
    - http:
        url: ${api.url}/echo
        retries: 0
        parallel: true
        extract_headers:
          include_prefixes: [x-echo]
    - mapping: |
        root.body = content().string()
        root.status = @http_status_code
        root.len = metadata("x-echo-len")
        root.error = error()
        root.id = @m_id
output:
  http_client:
    url: ${out.url}/results
`)
    await eventually(() => out.requests.length === 3, { what: 'three results' })
    const results = out.requests
      .map((r) => JSON.parse(r.body.toString()))
      .sort((a, b) => a.id.localeCompare(b.id))
    expect(results[0]).toEqual({ body: '{"ID":1}', status: 201, len: '8', error: null, id: '1' })
    expect(results[2]).toEqual({ body: '{"ID":3}', status: 201, len: '8', error: null, id: '3' })
    expect(results[1].body).toBe('{"id":2}')
    expect(results[1].status).toBe('500')
    expect(results[1].error).toMatch(/unexpected response code \(500\).*no two/)
  })

  test('TLS: trusts the server with tls.root_cas_file, refuses it without; timeout reported', async () => {
    const { certFile, keyFile } = selfSignedCert()
    const { readFileSync } = await import('node:fs')
    const secure = await sink(
      (req, res) => {
        if (req.url === '/slow') {
          setTimeout(() => res.writeHead(200).end('late'), 2000)
          return undefined
        }
        res.writeHead(200).end('secret')
        return undefined
      },
      { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') },
    )
    const out = await sink()
    await startYaml(`${generate(1)}
pipeline:
  processors:
    - branch:
        processors:
          - http:
              url: ${secure.url}/data
              retries: 0
              tls:
                enabled: true
                root_cas_file: ${certFile}
        result_map: 'root.trusted = content().string()'
    - branch:
        processors:
          - http:
              url: ${secure.url}/data
              retries: 0
          - catch:
              - mapping: 'root = error()'
        result_map: 'root.untrusted = content().string()'
    - branch:
        processors:
          - http:
              url: ${secure.url}/slow
              retries: 0
              timeout: 200ms
              tls:
                enabled: true
                skip_cert_verify: true
          - catch:
              - mapping: 'root = error()'
        result_map: 'root.slow = content().string()'
output:
  http_client:
    url: ${out.url}/results
`)
    await eventually(() => out.requests.length === 1, { what: 'the result' })
    const result = JSON.parse(out.requests[0]!.body.toString())
    expect(result.trusted).toBe('secret')
    expect(result.untrusted).toMatch(/self-signed|certificate/i)
    expect(result.slow).toMatch(/timed out after 200ms/)
  })
})

describe('authentication', () => {
  test('basic_auth', async () => {
    const s = await sink()
    await startYaml(`${generate(1)}
output:
  http_client:
    url: ${s.url}/basic
    basic_auth:
      enabled: true
      username: ann
      password: p:ss
`)
    await eventually(() => s.requests.length === 1, { what: 'a request' })
    expect(s.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('ann:p:ss').toString('base64')}`)
  })

  test('oauth2 client credentials: one token from the token endpoint, used as bearer', async () => {
    const tokenRequests: { auth: string | undefined; form: Record<string, string> }[] = []
    const s = await sink((req, res) => {
      if (req.url === '/token') {
        tokenRequests.push({
          auth: req.headers.authorization,
          form: Object.fromEntries(new URLSearchParams(req.body.toString())),
        })
        res.setHeader('Content-Type', 'application/json')
        res
          .writeHead(200)
          .end(JSON.stringify({ access_token: 'tok-1', token_type: 'bearer', expires_in: 3600 }))
        return undefined
      }
      return req.headers.authorization === 'Bearer tok-1' ? 200 : 401
    })
    await startYaml(`${generate(3)}
output:
  http_client:
    url: ${s.url}/api
    max_in_flight: 1
    oauth2:
      enabled: true
      client_key: my client
      client_secret: s3cret
      token_url: ${s.url}/token
      scopes: [read, write]
      endpoint_params:
        audience: [tests]
`)
    await eventually(() => s.requests.filter((r) => r.url === '/api').length === 3, {
      what: 'three API calls',
    })
    expect(s.requests.filter((r) => r.url === '/api').map((r) => r.status)).toEqual([200, 200, 200])
    expect(tokenRequests).toEqual([
      {
        auth: `Basic ${Buffer.from('my+client:s3cret').toString('base64')}`,
        form: { grant_type: 'client_credentials', scope: 'read write', audience: 'tests' },
      },
    ])
  })

  test('jwt: a bearer token signed with the private key verifies with the public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const keyFile = join(tempDir(), 'jwt.pem')
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs1', format: 'pem' }))
    const s = await sink()
    await startYaml(`${generate(2)}
output:
  http_client:
    url: ${s.url}/jwt
    jwt:
      enabled: true
      private_key_file: ${keyFile}
      signing_method: RS256
      claims:
        sub: bento
        aud: tests
      headers:
        kid: key-1
`)
    await eventually(() => s.requests.length === 2, { what: 'two requests' })
    const key = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'RS256')
    for (const r of s.requests) {
      const token = String(r.headers.authorization).replace(/^Bearer /, '')
      const { payload, protectedHeader } = await jwtVerify(token, key, { audience: 'tests' })
      expect(payload.sub).toBe('bento')
      expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'key-1' })
    }
  })

  test('oauth (1.0a): the HMAC-SHA1 signature checks out at the server', async () => {
    const s = await sink()
    await startYaml(`${generate(1)}
output:
  http_client:
    url: ${s.url}/oauth1/path?b=2&a=1
    oauth:
      enabled: true
      consumer_key: ck
      consumer_secret: cs
      access_token: at
      access_token_secret: ats
`)
    await eventually(() => s.requests.length === 1, { what: 'a request' })
    const header = String(s.requests[0]!.headers.authorization)
    expect(header.startsWith('OAuth ')).toBe(true)
    const fields = Object.fromEntries(
      [...header.slice(6).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, decodeURIComponent(m[2]!)]),
    )
    expect(fields).toMatchObject({
      oauth_consumer_key: 'ck',
      oauth_token: 'at',
      oauth_signature_method: 'HMAC-SHA1',
    })
    // Recomputed here from RFC 5849 §3.4 (all these values are unreserved: no escaping needed).
    const params = { ...fields, a: '1', b: '2' } as Record<string, string>
    delete params.oauth_signature
    const normalized = Object.keys(params)
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join('&')
    const base = `POST&${encodeURIComponent(`${s.url}/oauth1/path`)}&${encodeURIComponent(normalized)}`
    expect(fields.oauth_signature).toBe(createHmac('sha1', 'cs&ats').update(base).digest('base64'))
  })
})
