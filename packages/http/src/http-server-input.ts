// `http_server` input: every request to `path` becomes a batch (one message, or one per part of a
// multipart body), every websocket frame on `ws_path` a message. A request is answered only once
// its transaction is acknowledged: with the sync response gathered on the way (`sync_response`
// processor or output), or 200 and an empty body; a nack answers 502 with the error.

import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import { TLSSocket } from 'node:tls'
import { gzipSync } from 'node:zlib'
import {
  type AckFn,
  type Batch,
  type ComponentContext,
  type ConfigOf,
  FieldError,
  field,
  type Logger,
  Message,
  parseDuration,
  type RateLimit,
  SyncResponseStore,
  syncResponseKey,
  syncResponseStoreOf,
  syncResponsesExpected,
} from '@bento-ts/core'
import {
  BatchView,
  canonicalHeaderKey,
  corsAllowsOrigin,
  corsField,
  corsStep,
  defineInput,
  type FieldInterpolation,
  inputSkeleton,
  interpolation,
  interpolationMap,
  type MetadataFilter,
  metadataIncludeFilter,
} from '@bento-ts/core/kit'
import { type WebSocket, WebSocketServer } from 'ws'
import { Handoff, type Transaction } from './handoff.ts'
import { metadataIncludeFieldNamed } from './metadata.ts'
import { decodeMultipart, encodeMultipart, newBoundary } from './multipart.ts'
import {
  detectContentType,
  type MediaType,
  type PathPattern,
  parseCookies,
  parseListenAddress,
  parseMediaType,
  pathPattern,
} from './wire.ts'

const description = `Bento-ts has no service-wide HTTP server to share, so \`address\` must be set: each http_server listens on its own address.

The request is answered only after its messages were delivered (acknowledged): with the synchronous response gathered by a \`sync_response\` processor or output (status and headers from \`sync_response\`, interpolated against the first response message), or with 200 and an empty body. A delivery failure answers 502 with the error; no answer within \`timeout\` answers 408; a verb not in \`allowed_verbs\` answers 405; a breached \`rate_limit\` answers 429 with \`Retry-After\`; a stopping server answers 503.

A multipart request body becomes a batch, one message per part. On \`ws_path\` every frame is a message, handled one at a time per connection: a failed delivery is retried, and sync responses are sent back as text frames.

Metadata: \`http_server_user_agent\`, \`http_server_request_path\`, \`http_server_verb\`, \`http_server_remote_ip\`, every request header (first value, Go's canonical name such as \`Content-Type\`), query parameters, path parameters (\`/{name}\`) and cookies; with TLS also \`http_server_tls_version\` and \`http_server_tls_cipher_suite\`. Websocket messages carry the user agent, headers, query and path parameters and cookies of the handshake.`

const fields = [
  field.string('address', {
    default: '',
    description:
      'The address to listen on, e.g. `0.0.0.0:4195`. Required in bento-ts (there is no service-wide server to share).',
  }),
  field.string('path', { default: '/post', description: 'The endpoint path to listen for POST requests.' }),
  field.string('ws_path', {
    default: '/post/ws',
    description: 'The endpoint path to create websocket connections from.',
  }),
  field.string('ws_welcome_message', {
    default: '',
    advanced: true,
    description: 'An optional message to deliver to fresh websocket connections.',
  }),
  field.string('ws_rate_limit_message', {
    default: '',
    advanced: true,
    description: 'An optional message to deliver to websocket connections that are rate limited.',
  }),
  field.array('allowed_verbs', 'string', {
    default: ['POST'],
    description: 'An array of verbs that are allowed for the `path` endpoint.',
  }),
  field.duration('timeout', {
    default: '5s',
    description:
      'Timeout for requests. If a consumed messages takes longer than this to be delivered the connection is closed, but the message may still be delivered.',
  }),
  field.string('rate_limit', {
    default: '',
    description: 'An optional rate limit resource to throttle requests by.',
  }),
  field.string('cert_file', {
    default: '',
    advanced: true,
    description: 'Enable TLS by specifying a certificate and key file.',
  }),
  field.string('key_file', {
    default: '',
    advanced: true,
    description: 'Enable TLS by specifying a certificate and key file.',
  }),
  corsField,
  field.object(
    'sync_response',
    [
      field.interpolated('status', {
        default: '200',
        description: 'The status code of synchronous responses, interpolated against the response.',
        examples: ['${! json("status") }', '${! metadata("status").string() }'],
      }),
      field.map('headers', 'string', {
        default: { 'Content-Type': 'application/octet-stream' },
        interpolated: true,
        description: 'Headers of synchronous responses (values interpolated).',
      }),
      metadataIncludeFieldNamed(
        'metadata_headers',
        'Which metadata values of the response are added to it as headers.',
      ),
    ],
    {
      default: {
        status: '200',
        headers: { 'Content-Type': 'application/octet-stream' },
        metadata_headers: { include_prefixes: [], include_patterns: [] },
      },
      advanced: true,
      description: 'Customise messages returned via synchronous responses.',
    },
  ),
] as const

export type HttpServerConfig = ConfigOf<typeof fields>

/** Go's http.Error: a plain text body with a line break, never sniffed. */
function plainError(res: ServerResponse, status: number, text: string, gzip: boolean): void {
  if (res.headersSent || res.destroyed) return
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  send(res, status, Buffer.from(`${text}\n`), gzip)
}

/** Writes status and body, gzipped when the client accepts it (Bento's gzip handler). */
function send(res: ServerResponse, status: number, body: Uint8Array | undefined, gzip: boolean): void {
  if (res.headersSent || res.destroyed) return
  if (gzip) {
    res.setHeader('Content-Encoding', 'gzip')
    body = gzipSync(body ?? new Uint8Array(0))
  }
  res.writeHead(status)
  res.end(body)
}

const acceptsGzip = (req: IncomingMessage): boolean =>
  req.headers['accept-encoding']?.includes('gzip') === true

/** Sets a header unless its name or value is not valid HTTP (a metadata value with a line break). */
function trySetHeader(res: ServerResponse, name: string, value: string, logger: Logger): void {
  try {
    res.setHeader(name, value)
  } catch (err) {
    logger.warn(`Skipping response header ${JSON.stringify(name)}: ${(err as Error).message}`)
  }
}

const remoteIp = (address: string | undefined): string =>
  address === undefined ? '' : address.startsWith('::ffff:') ? address.slice(7) : address

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** Metadata of the handshake or request, in Bento's order: later keys win over earlier ones. */
function requestMetadata(
  req: IncomingMessage,
  base: [string, string][],
  query: string,
  params: Record<string, string>,
): Map<string, unknown> {
  const meta = new Map<string, unknown>(base)
  const raw = req.rawHeaders
  const headers = new Map<string, string>()
  for (let i = 0; i < raw.length; i += 2) {
    const name = canonicalHeaderKey(raw[i]!)
    // Go moves these two out of the header map (Request.Host, Request.TransferEncoding).
    if (name === 'Host' || name === 'Transfer-Encoding') continue
    if (!headers.has(name)) headers.set(name, raw[i + 1]!)
  }
  for (const [k, v] of headers) meta.set(k, v)
  if (query !== '') {
    const seen = new Set<string>()
    for (const [k, v] of new URLSearchParams(query)) {
      if (seen.has(k)) continue
      seen.add(k)
      meta.set(k, v)
    }
  }
  for (const k in params) meta.set(k, params[k])
  for (const [k, v] of parseCookies(req.headers.cookie)) meta.set(k, v)
  return meta
}

const mediaTypes = new Map<string, MediaType>()

/** parseMediaType, remembering the few Content-Type values a server sees again and again. */
function mediaTypeOf(value: string): MediaType {
  let media = mediaTypes.get(value)
  if (media === undefined) {
    media = parseMediaType(value)
    if (mediaTypes.size < 64) mediaTypes.set(value, media)
  }
  return media
}

/** Reads the whole body into one fresh array (socket chunks may be views of a larger buffer). */
function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
    })
    req.once('end', () => {
      const body = new Uint8Array(size)
      let at = 0
      for (const c of chunks) {
        body.set(c, at)
        at += c.length
      }
      resolve(body)
    })
    req.once('error', reject)
  })
}

const wsRetry = { immediate: 3, waitMs: 1000 }

export const httpServerInput = defineInput({
  name: 'http_server',
  status: 'stable',
  categories: ['Network'],
  summary: 'Receive messages POSTed over HTTP(S). HTTP 2.0 is not supported.',
  description,
  fields,
  create: (config, context) => httpServer(config, context),
})

function httpServer(c: HttpServerConfig, context: ComponentContext) {
  const logger = context.logger
  if (c.address === '')
    throw new FieldError(
      'address',
      'must be set, e.g. 0.0.0.0:4195 (bento-ts has no service-wide HTTP server for http_server to share)',
    )
  const listen = parseListenAddress(c.address)
  const timeoutMs = parseDuration(c.timeout)
  const verbs = new Set(c.allowed_verbs)
  const limit: RateLimit | undefined =
    c.rate_limit === '' ? undefined : context.resources.rateLimit(c.rate_limit)
  if ((c.cert_file === '') !== (c.key_file === ''))
    throw new FieldError(
      c.cert_file === '' ? 'cert_file' : 'key_file',
      'cert_file and key_file are both needed to enable TLS',
    )
  const tls =
    c.cert_file === ''
      ? undefined
      : { cert: readConfigFile(c.cert_file, 'cert_file'), key: readConfigFile(c.key_file, 'key_file') }
  const cors = corsStep(c.cors)
  const postRoute: PathPattern | undefined = c.path === '' ? undefined : pathPattern(c.path)
  const wsRoute: PathPattern | undefined = c.ws_path === '' ? undefined : pathPattern(c.ws_path)
  const response = syncResponseWriter(c.sync_response, logger)
  const handoff = new Handoff()
  /** requests read by the stream and not answered yet (answered 503 when the input closes) */
  const unanswered = new Set<() => void>()
  let wss: WebSocketServer | undefined
  let answering = false
  let stopping = false

  const newMessages = (bodies: Uint8Array[], meta: Map<string, unknown>): Batch => {
    if (answering) meta.set(syncResponseKey, new SyncResponseStore())
    return bodies.map((b, i) => Message.adopt(b, i === bodies.length - 1 ? meta : new Map(meta)))
  }

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (cors?.(req, res) === true) return
    const gzip = acceptsGzip(req)
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = decodePath(q < 0 ? url : url.slice(0, q))
    const params = postRoute?.match(path)
    if (params === undefined) {
      if (wsRoute?.match(path) !== undefined) plainError(res, 400, 'Bad Request', gzip)
      else plainError(res, 404, '404 page not found', gzip)
      return
    }
    if (stopping) {
      plainError(res, 503, 'Server closing', gzip)
      return
    }
    if (!verbs.has(req.method ?? '')) {
      plainError(res, 405, 'Incorrect method', gzip)
      return
    }
    if (limit === undefined) {
      receive(req, res, path, q < 0 ? '' : url.slice(q + 1), params, gzip)
      return
    }
    limit.access().then(
      (waitMs) => {
        if (waitMs > 0) {
          res.setHeader('Retry-After', String(Math.trunc(waitMs / 1000)))
          plainError(res, 429, 'Too Many Requests', gzip)
        } else receive(req, res, path, q < 0 ? '' : url.slice(q + 1), params, gzip)
      },
      (err: Error) => {
        logger.warn(`Failed to access rate limit: ${err.message}`)
        plainError(res, 502, 'Server error', gzip)
      },
    )
  }

  const receive = (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
    params: Record<string, string>,
    gzip: boolean,
  ): void => {
    readBody(req).then(
      (body) => {
        let batch: Batch
        try {
          const base: [string, string][] = [
            ['http_server_user_agent', req.headers['user-agent'] ?? ''],
            ['http_server_request_path', path],
            ['http_server_verb', req.method ?? ''],
            ['http_server_remote_ip', remoteIp(req.socket.remoteAddress)],
          ]
          if (req.socket instanceof TLSSocket) {
            base.push(['http_server_tls_version', req.socket.getProtocol() ?? ''])
            base.push(['http_server_tls_cipher_suite', req.socket.getCipher().standardName])
          }
          const media = mediaTypeOf(req.headers['content-type'] || 'application/octet-stream')
          const bodies = media.type.startsWith('multipart/')
            ? decodeMultipart(body, media.params.boundary ?? '').map((p) => p.body)
            : [body]
          batch = newMessages(bodies, requestMetadata(req, base, query, params))
        } catch (err) {
          logger.warn(`Request read failed: ${(err as Error).message}`)
          return plainError(res, 400, 'Bad request', gzip)
        }
        transact(batch, res, gzip)
      },
      (err: Error) => {
        logger.warn(`Request read failed: ${err.message}`)
        plainError(res, 400, 'Bad request', gzip)
      },
    )
  }

  /** Hands the batch to the stream and answers once it is acknowledged or the time is up. */
  const transact = (batch: Batch, res: ServerResponse, gzip: boolean): void => {
    let answered = false
    const answer = (write: () => void): void => {
      if (answered) return
      answered = true
      clearTimeout(timer)
      unanswered.delete(closing)
      write()
    }
    const closing = () => answer(() => plainError(res, 503, 'Server closing', gzip))
    const ack: AckFn = (error) => {
      answer(() => {
        if (error !== undefined) plainError(res, 502, error.message, gzip)
        else response.write(res, batch, gzip)
      })
      return Promise.resolve()
    }
    const t: Transaction = {
      batch,
      ack,
      taken: false,
      dead: false,
      // Waiting to be read and waiting for the acknowledgement each get the full timeout.
      onTaken: () => {
        timer.refresh()
        unanswered.add(closing)
      },
    }
    const timer = setTimeout(() => {
      t.dead = true
      answer(() => plainError(res, 408, 'Request timed out', gzip))
    }, timeoutMs)
    res.once('close', () => {
      if (answered) return
      // The client went away: never deliver what nobody waits for, when it was not read yet.
      t.dead = true
      answer(() => {})
    })
    if (!handoff.offer(t)) answer(() => plainError(res, 503, 'Server closing', gzip))
  }

  const handleUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const params = wsRoute?.match(decodePath(q < 0 ? url : url.slice(0, q)))
    let refused: [number, string] | undefined
    const origin = req.headers.origin
    if (params === undefined || wss === undefined) refused = [404, 'Not Found']
    else if (stopping) refused = [503, 'Service Unavailable']
    // gorilla/websocket refuses cross-origin handshakes; an origin CORS allows is let in here.
    else if (
      origin !== undefined &&
      !sameOrigin(origin, req.headers.host) &&
      !corsAllowsOrigin(c.cors, origin)
    )
      refused = [403, 'Forbidden']
    if (refused !== undefined || params === undefined || wss === undefined) {
      const [status, text] = refused ?? [404, 'Not Found']
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${text}\n`,
      )
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      serveSocket(ws, req, q < 0 ? '' : url.slice(q + 1), params)
    })
  }

  const serveSocket = (
    ws: WebSocket,
    req: IncomingMessage,
    query: string,
    params: Record<string, string>,
  ) => {
    const base: [string, string][] = [['http_server_user_agent', req.headers['user-agent'] ?? '']]
    const handshake = requestMetadata(req, base, query, params)
    const frames: Uint8Array[] = []
    let busy = false
    if (c.ws_welcome_message !== '') ws.send(Buffer.from(c.ws_welcome_message))
    const deliver = async (bytes: Uint8Array): Promise<void> => {
      let failures = 0
      while (!stopping && ws.readyState === ws.OPEN) {
        if (limit !== undefined) {
          let waitMs: number
          try {
            waitMs = await limit.access()
          } catch (err) {
            logger.warn(`Failed to access rate limit: ${(err as Error).message}`)
            waitMs = 1000
          }
          if (waitMs > 0) {
            if (c.ws_rate_limit_message !== '') ws.send(Buffer.from(c.ws_rate_limit_message))
            await new Promise((resolve) => setTimeout(resolve, waitMs))
            continue
          }
        }
        const batch = newMessages([bytes], new Map(handshake))
        const result = await new Promise<Error | undefined | 'closed'>((resolve) => {
          const t: Transaction = {
            batch,
            ack: (error) => {
              unanswered.delete(closed)
              resolve(error)
              return Promise.resolve()
            },
            taken: false,
            dead: false,
            onTaken: () => unanswered.add(closed),
          }
          const closed = () => resolve('closed')
          if (!handoff.offer(t)) resolve('closed')
        })
        if (result === 'closed') return
        if (result === undefined) {
          for (const m of response.messagesOf(batch)) ws.send(m.bytes(), { binary: false })
          return
        }
        // Nacked: the same frame again, at once for the first few times, then every second.
        if (++failures > wsRetry.immediate)
          await new Promise((resolve) => setTimeout(resolve, wsRetry.waitMs))
      }
    }
    const pump = async () => {
      busy = true
      try {
        while (frames.length > 0 && ws.readyState === ws.OPEN) await deliver(frames.shift()!)
      } catch (err) {
        logger.error(`Websocket delivery failed: ${(err as Error).message}`)
      } finally {
        busy = false
      }
    }
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
      frames.push(new Uint8Array(bytes))
      if (!busy) void pump()
    })
    ws.on('error', (err) => logger.warn(`Websocket connection failed: ${err.message}`))
  }

  return inputSkeleton(c, context, {
    async connect(): Promise<Server> {
      answering = syncResponsesExpected(context)
      const srv = tls === undefined ? createServer(handleRequest) : createHttpsServer(tls, handleRequest)
      if (wsRoute !== undefined) {
        wss = new WebSocketServer({ noServer: true })
        srv.on('upgrade', handleUpgrade)
      }
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject)
          srv.listen(listen.port, listen.host, () => {
            srv.off('error', reject)
            resolve()
          })
        })
      } catch (err) {
        throw new Error(`listen on ${c.address}: ${(err as Error).message}`)
      }
      logger.info(
        `Receiving HTTP${tls === undefined ? '' : 'S'} messages at: ${tls === undefined ? 'http' : 'https'}://${c.address}${c.path}`,
      )
      return srv
    },
    async read(_server, signal) {
      const t = await handoff.take(signal)
      return { batch: t.batch, ack: t.ack }
    },
    async disconnect(srv) {
      stopping = true
      for (const t of handoff.close()) t.dead = true
      for (const answer of [...unanswered]) answer()
      for (const ws of wss?.clients ?? []) ws.terminate()
      wss?.close()
      await new Promise<void>((resolve) => {
        srv.close(() => resolve())
        srv.closeAllConnections()
      })
    },
  })
}

function readConfigFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new FieldError(what, `cannot read ${path}: ${(err as Error).message}`)
  }
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host.toLowerCase() === (host ?? '').toLowerCase()
  } catch {
    return false
  }
}

interface SyncResponseWriter {
  /** the sync responses gathered for a batch, in order */
  messagesOf(batch: Batch): Message[]
  /** answers an acknowledged request */
  write(res: ServerResponse, batch: Batch, gzip: boolean): void
}

/** Bento's synchronous response: status and headers from the first response, body from all. */
function syncResponseWriter(c: HttpServerConfig['sync_response'], logger: Logger): SyncResponseWriter {
  const status = interpolation('sync_response.status', c.status)
  const headers: [string, FieldInterpolation][] = interpolationMap('sync_response.headers', c.headers)
  // Bento only looks up the lower case key here, so the default `Content-Type` does not apply.
  const partType =
    c.headers['content-type'] === undefined
      ? undefined
      : interpolation('sync_response.headers.content-type', c.headers['content-type'])
  const filter: MetadataFilter = metadataIncludeFilter(c.metadata_headers)
  const metadataHeaders = (res: ServerResponse, m: Message) => {
    for (const key of m.metadata.keys()) {
      if (key === syncResponseKey || !filter(key)) continue
      trySetHeader(res, key, m.metaString(key) ?? '', logger)
    }
  }
  const messagesOf = (batch: Batch): Message[] => {
    const store = batch[0] === undefined ? undefined : syncResponseStoreOf(batch[0])
    return store === undefined ? [] : [...store.messages]
  }
  return {
    messagesOf,
    write(res, batch, gzip) {
      const messages = messagesOf(batch)
      if (messages.length === 0) return send(res, 200, undefined, gzip)
      const view = new BatchView(messages)
      for (const [name, value] of headers) {
        try {
          trySetHeader(res, name, value.text(view, 0), logger)
        } catch (err) {
          logger.error(`Interpolation of response header ${name} error: ${(err as Error).message}`)
        }
      }
      let code = 200
      try {
        const text = status.text(view, 0)
        if (text !== '200') {
          code = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN
          if (!Number.isInteger(code) || code < 100 || code > 999)
            throw new Error(`invalid status code ${JSON.stringify(text)}`)
        }
      } catch (err) {
        logger.error(`Failed to work out the sync response status code: ${(err as Error).message}`)
        return send(res, 502, undefined, false)
      }
      if (messages.length === 1) {
        const m = messages[0]!
        metadataHeaders(res, m)
        const body = m.bytes()
        if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', detectContentType(body))
        return send(res, code, body, gzip)
      }
      const boundary = newBoundary()
      const parts = messages.map((m, i) => {
        metadataHeaders(res, m)
        const body = m.bytes()
        let type = detectContentType(body)
        if (partType !== undefined) {
          try {
            type = partType.text(view, i)
          } catch (err) {
            logger.error(`Interpolation of content-type header error: ${(err as Error).message}`)
          }
        }
        return { headers: [['Content-Type', type]] as [string, string][], body }
      })
      res.setHeader('Content-Type', `multipart/form-data; boundary=${boundary}`)
      send(res, code, encodeMultipart(parts, boundary), gzip)
    },
  }
}
