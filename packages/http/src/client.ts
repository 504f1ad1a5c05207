// The HTTP client behind the `http_client` output and the `http` processor (Bento's
// internal/httpclient): builds one request from a batch, authenticates it, applies the rate limit,
// sends it with undici and retries by Bento's rules, and turns the response into messages.

import { STATUS_CODES } from 'node:http'
import {
  type Batch,
  type ComponentContext,
  type ConfigOf,
  FieldError,
  field,
  type Logger,
  Message,
  parseDuration,
  type RateLimit,
  syncResponseKey,
  type ValueOf,
} from '@bento-ts/core'
import {
  BatchView,
  type FieldInterpolation,
  interpolation,
  type MetadataFilter,
  metadataIncludeFilter,
  tlsField,
  tlsOptions,
} from '@bento-ts/core/kit'
import { Agent, type Dispatcher, interceptors, ProxyAgent, request } from 'undici'
import { authFields, authSigner, HeaderList, type Signer } from './auth.ts'
import { metadataIncludeFieldNamed } from './metadata.ts'
import { decodeMultipart, encodeMultipart, newBoundary, type Part } from './multipart.ts'
import { parseMediaType } from './wire.ts'

const transportField = field.object(
  'transport',
  [
    field.object(
      'dial_context',
      [
        field.duration('timeout', { default: '30s', description: 'Maximum time to wait for a connection.' }),
        field.duration('keep_alive', { default: '30s', description: 'Interval of TCP keep-alive probes.' }),
      ],
      { default: { timeout: '30s', keep_alive: '30s' } },
    ),
    field.bool('force_http2', { default: true, description: 'Accepted; bento-ts speaks HTTP/1.1.' }),
    field.int('max_idle_connections', {
      default: 100,
      description: 'Accepted; connections are pooled per origin.',
    }),
    field.duration('idle_connection_timeout', {
      default: '90s',
      description: 'How long an idle kept-alive connection stays open.',
    }),
    field.duration('tls_handshake_timeout', {
      default: '10s',
      description: 'Accepted; the dial timeout covers the handshake.',
    }),
    field.duration('expect_continue_timeout', { default: '1s', description: 'Accepted; not used.' }),
  ],
  {
    default: {
      dial_context: { timeout: '30s', keep_alive: '30s' },
      force_http2: true,
      max_idle_connections: 100,
      idle_connection_timeout: '90s',
      tls_handshake_timeout: '10s',
      expect_continue_timeout: '1s',
    },
    advanced: true,
    description: 'Custom transport options.',
  },
)

/** The fields Bento's http_client output and http processor share, with the verb's default. */
export function clientFields(defaultVerb: string, forOutput: boolean) {
  return [
    field.interpolated('url', { description: 'The URL to connect to.' }),
    field.string('verb', {
      default: defaultVerb,
      description: 'A verb to connect with',
      examples: ['POST', 'GET'],
    }),
    field.map('headers', 'string', {
      default: {},
      interpolated: true,
      description: 'A map of headers to add to the request (values interpolated).',
    }),
    metadataIncludeFieldNamed('metadata', 'Which metadata keys are added to the HTTP request as headers.', {
      advanced: true,
    }),
    field.string('dump_request_log_level', {
      default: '',
      advanced: true,
      options: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', ''],
      description: 'Optionally log the request and response of each request at this level.',
    }),
    ...authFields,
    tlsField,
    metadataIncludeFieldNamed(
      'extract_headers',
      forOutput
        ? 'Which response headers (lower case) are added to synchronous responses as metadata; only with `propagate_response`.'
        : 'Which response headers (lower case) are added to resulting messages as metadata.',
      { advanced: true },
    ),
    field.string('rate_limit', {
      optional: true,
      description: 'An optional rate limit resource to throttle requests by.',
    }),
    field.duration('timeout', { default: '5s', description: 'A static timeout to apply to requests.' }),
    field.duration('retry_period', {
      default: '1s',
      advanced: true,
      description: 'The base period to wait between failed requests.',
    }),
    field.duration('max_retry_backoff', {
      default: '300s',
      advanced: true,
      description: 'The maximum period to wait between failed requests.',
    }),
    field.int('retries', {
      default: 3,
      advanced: true,
      description: 'The maximum number of retry attempts to make.',
    }),
    field.array('backoff_on', 'int', {
      default: [429],
      advanced: true,
      description: 'Status codes that fail the request and are retried with a growing wait.',
    }),
    field.array('drop_on', 'int', {
      default: [],
      advanced: true,
      description:
        'Status codes that fail the request without retries. The request is dropped, the message that caused it is not: it fails (is nacked, or flagged by the processor).',
    }),
    field.array('successful_on', 'int', {
      default: [],
      advanced: true,
      description: 'Status codes counted as success besides every 2XX (unless in backoff_on or drop_on).',
    }),
    field.string('proxy_url', { optional: true, advanced: true, description: 'An optional HTTP proxy URL.' }),
    transportField,
    field.interpolated('payload', {
      optional: true,
      advanced: true,
      description: 'An optional payload to deliver for each request, instead of the message.',
    }),
  ] as const
}

/** The output's `multipart` field: explicit parts of each request instead of the messages. */
export const multipartField = field.array(
  'multipart',
  [
    field.interpolated('content_type', { default: '', description: 'The content type of the part.' }),
    field.interpolated('content_disposition', {
      default: '',
      description: 'The content disposition of the part.',
    }),
    field.interpolated('body', { default: '', description: 'The body of the part.' }),
  ],
  {
    default: [],
    advanced: true,
    description: 'Explicit multipart parts of each request, instead of the messages.',
  },
)

/** What the client reads of the output's or the processor's config. */
export type ClientConfig = ConfigOf<ReturnType<typeof clientFields>> & {
  multipart?: ValueOf<typeof multipartField>
}

/** A response outside the accepted codes; Bento's ErrUnexpectedHTTPRes. */
export class UnexpectedResponse extends Error {
  readonly code: number
  readonly body: Uint8Array
  /** `drop_on`: the request must not be tried again */
  readonly dropped: boolean
  constructor(url: string, code: number, body: Uint8Array, dropped: boolean) {
    const status = STATUS_CODES[code] === undefined ? `${code}` : `${code} ${STATUS_CODES[code]}`
    super(
      `${url}: HTTP request returned unexpected response code (${code}): ${status}, Error: ${Buffer.from(body).toString()}`,
    )
    this.name = 'UnexpectedResponse'
    this.code = code
    this.body = body
    this.dropped = dropped
  }
}

export type Verdict = 'ok' | 'drop' | 'backoff' | 'retry'

/** Bento's checkStatus: drop_on, then backoff_on, then successful_on, then 2XX. */
export function statusVerdict(
  code: number,
  rules: { drop_on: readonly number[]; backoff_on: readonly number[]; successful_on: readonly number[] },
): Verdict {
  if (rules.drop_on.includes(code)) return 'drop'
  if (rules.backoff_on.includes(code)) return 'backoff'
  if (rules.successful_on.includes(code)) return 'ok'
  return code >= 200 && code <= 299 ? 'ok' : 'retry'
}

/**
 * The waits between attempts: `retry_period` after an ordinary failure, and after a `backoff_on`
 * status a wait that starts at `retry_period` and doubles each time, up to `max_retry_backoff`.
 */
export function retryWaits(
  retryPeriodMs: number,
  maxBackoffMs: number,
): (verdict: 'backoff' | 'retry') => number {
  let backoff = retryPeriodMs
  return (verdict) => {
    if (verdict === 'retry') return retryPeriodMs
    const wait = Math.min(backoff, maxBackoffMs)
    backoff = Math.min(backoff * 2, maxBackoffMs)
    return wait
  }
}

/** Sleeps, waking with the abort reason when the signal fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

interface Prepared {
  url: URL
  headers: HeaderList
  body: Uint8Array | undefined
}

interface Attempt {
  response?: { status: number; headers: Record<string, string | string[] | undefined>; body: Uint8Array }
  error?: Error
  verdict: Verdict
}

export interface HttpClient {
  /** Sends the batch as one request, retrying by the config; resolves with the response as messages. */
  send(batch: Batch, signal: AbortSignal): Promise<Message[]>
  close(): Promise<void>
}

const logLevels: Record<string, keyof Logger> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'error',
}

export function createClient(c: ClientConfig, context: ComponentContext): HttpClient {
  const logger = context.logger
  const url = interpolation('url', c.url)
  if (url.isStatic && !URL.canParse(c.url))
    throw new FieldError('url', `${JSON.stringify(c.url)} is not a valid URL`)
  const headers: [string, FieldInterpolation][] = []
  let host: FieldInterpolation | undefined
  for (const [k, v] of Object.entries(c.headers)) {
    if (k.toLowerCase() === 'host') host = interpolation(`headers.${k}`, v)
    else headers.push([k, interpolation(`headers.${k}`, v)])
  }
  const contentTypeHeader = headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1]
  const metadataFilter: MetadataFilter = metadataIncludeFilter(c.metadata)
  const extractFilter: MetadataFilter = metadataIncludeFilter(c.extract_headers)
  const extracting =
    c.extract_headers.include_prefixes.length > 0 || c.extract_headers.include_patterns.length > 0
  const payload = c.payload === undefined ? undefined : interpolation('payload', c.payload)
  const explicitParts = (c.multipart ?? []).map((p, i) => ({
    contentType: interpolation(`multipart.${i}.content_type`, p.content_type),
    disposition: interpolation(`multipart.${i}.content_disposition`, p.content_disposition),
    body: interpolation(`multipart.${i}.body`, p.body),
  }))
  const timeoutMs = parseDuration(c.timeout)
  const retryPeriodMs = parseDuration(c.retry_period)
  const maxBackoffMs = parseDuration(c.max_retry_backoff)
  const limit: RateLimit | undefined =
    c.rate_limit === undefined ? undefined : context.resources.rateLimit(c.rate_limit)
  const dump = c.dump_request_log_level === '' ? undefined : logLevels[c.dump_request_log_level]

  const tls = tlsOptions(c.tls)
  const connect = {
    timeout: parseDuration(c.transport.dial_context.timeout),
    keepAlive: true,
    keepAliveInitialDelay: parseDuration(c.transport.dial_context.keep_alive),
    ...tls,
  }
  const keepAliveTimeout = parseDuration(c.transport.idle_connection_timeout)
  let agent: Dispatcher
  if (c.proxy_url !== undefined && c.proxy_url !== '') {
    try {
      new URL(c.proxy_url)
    } catch {
      throw new FieldError('proxy_url', `failed to parse ${JSON.stringify(c.proxy_url)} as a URL`)
    }
    agent = new ProxyAgent({
      uri: c.proxy_url,
      keepAliveTimeout,
      ...(tls === undefined ? {} : { requestTls: tls }),
    })
  } else agent = new Agent({ connect, keepAliveTimeout })
  // Go's http.Client follows up to 10 redirects.
  const dispatcher = agent.compose(interceptors.redirect({ maxRedirections: 10 }))
  const sign: Signer | undefined = authSigner(c, dispatcher)
  const latency = context.metrics.timing('http_request_latency_ns', {
    label: context.label,
    path: context.path,
  })
  const codeCounters = new Map<number, { inc(by?: number): void }>()
  const countCode = (code: number) => {
    const tier = Math.trunc(code / 100)
    let counter = codeCounters.get(tier)
    if (counter === undefined) {
      counter = context.metrics.counter(`http_request_code_${tier}xx`, {
        label: context.label,
        path: context.path,
      })
      codeCounters.set(tier, counter)
    }
    counter.inc()
  }

  const metadataHeaders = (m: Message, add: (k: string, v: string) => void) => {
    for (const key of m.metadata.keys()) {
      if (key !== syncResponseKey && metadataFilter(key)) add(key, m.metaString(key) ?? '')
    }
  }

  /** The request for a batch (Bento's RequestCreator): built once, signed per attempt. */
  const prepare = (batch: Batch): Prepared => {
    const view = new BatchView(batch)
    let body: Uint8Array | undefined
    let contentType: string | undefined
    if (payload !== undefined) {
      body = payload.bytes(view, 0)
      if (contentTypeHeader === undefined) contentType = 'application/octet-stream'
    } else if (explicitParts.length > 0) {
      const boundary = newBoundary()
      body = encodeMultipart(
        explicitParts.map((p) => ({
          headers: [
            ['Content-Type', p.contentType.text(view, 0)],
            ['Content-Disposition', p.disposition.text(view, 0)],
          ],
          body: p.body.bytes(view, 0),
        })),
        boundary,
      )
      contentType = `multipart/form-data; boundary=${boundary}`
    } else if (batch.length === 1) {
      body = batch[0]!.bytes()
      if (contentTypeHeader === undefined) contentType = 'application/octet-stream'
    } else if (batch.length > 1) {
      const boundary = newBoundary()
      const parts: Part[] = batch.map((m, i) => {
        const partHeaders: [string, string][] = [
          [
            'Content-Type',
            contentTypeHeader === undefined ? 'application/octet-stream' : contentTypeHeader.text(view, i),
          ],
        ]
        metadataHeaders(m, (k, v) => partHeaders.push([k, v]))
        return { headers: partHeaders, body: m.bytes() }
      })
      body = encodeMultipart(parts, boundary)
      contentType = `multipart/form-data; boundary=${boundary}`
    }
    const target = url.text(view, 0)
    let parsed: URL
    try {
      parsed = new URL(target)
    } catch {
      throw new Error(`url ${JSON.stringify(target)} is not a valid URL`)
    }
    const list = new HeaderList()
    for (const [k, v] of headers) list.add(k, v.text(view, 0))
    if (batch.length > 0) metadataHeaders(batch[0]!, (k, v) => list.add(k, v))
    if (host !== undefined) list.set('Host', host.text(view, 0))
    if (contentType !== undefined) list.set('Content-Type', contentType)
    return { url: parsed, headers: list, body }
  }

  const attempt = async (p: Prepared, signal: AbortSignal): Promise<Attempt> => {
    const headerList = new HeaderList()
    headerList.pairs.push(...p.headers.pairs)
    const started = process.hrtime.bigint()
    try {
      await sign?.({ method: c.verb, url: p.url, headers: headerList })
      if (dump !== undefined)
        (logger[dump] as Logger['info']).call(logger, `HTTP request: ${c.verb} ${p.url.href}`, {
          headers: Object.fromEntries(headerList.pairs),
          body: p.body === undefined ? '' : Buffer.from(p.body).toString(),
        })
      const res = await request(p.url, {
        method: c.verb as Dispatcher.HttpMethod,
        headers: headerList.flat(),
        body: p.body,
        dispatcher,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      })
      const body = new Uint8Array(await res.body.arrayBuffer())
      latency.observe(Number(process.hrtime.bigint() - started))
      countCode(res.statusCode)
      if (dump !== undefined)
        (logger[dump] as Logger['info']).call(logger, `HTTP response: ${res.statusCode}`, {
          body: Buffer.from(body).toString(),
        })
      const verdict = statusVerdict(res.statusCode, c)
      const response = { status: res.statusCode, headers: res.headers, body }
      if (verdict === 'ok') return { response, verdict }
      return {
        response,
        verdict,
        error: new UnexpectedResponse(p.url.href, res.statusCode, body, verdict === 'drop'),
      }
    } catch (err) {
      if (signal.aborted) throw signal.reason
      const e = err as Error
      const text = e.name === 'TimeoutError' ? `request timed out after ${c.timeout}` : errorText(e)
      return { verdict: 'retry', error: new Error(`${p.url.href}: ${text}`, { cause: err }) }
    }
  }

  /** Waits until the rate limit grants access (Bento's waitForAccess). */
  const waitForAccess = async (batch: Batch, signal: AbortSignal): Promise<void> => {
    if (limit === undefined) return
    for (;;) {
      let waitMs: number
      try {
        const aware = limit as RateLimit & { add?: (...messages: Message[]) => boolean }
        aware.add?.(...batch)
        waitMs = await limit.access(signal)
      } catch (err) {
        if (signal.aborted) throw signal.reason
        logger.error(`Rate limit error: ${(err as Error).message}`)
        waitMs = 1000
      }
      if (waitMs <= 0) return
      await sleep(waitMs, signal)
    }
  }

  const toMessages = (r: NonNullable<Attempt['response']>): Message[] => {
    const meta = new Map<string, unknown>([['http_status_code', r.status]])
    if (extracting) {
      for (const [k, v] of Object.entries(r.headers)) {
        if (v !== undefined && extractFilter(k)) meta.set(k, Array.isArray(v) ? v[0] : v)
      }
    }
    const type = r.headers['content-type']
    if (typeof type === 'string' && type.startsWith('multipart/')) {
      try {
        const media = parseMediaType(type)
        return decodeMultipart(r.body, media.params.boundary ?? '').map((p) => new Message(p.body, meta))
      } catch (err) {
        logger.warn(`Failed to read a multipart response: ${(err as Error).message}`)
      }
    }
    return [Message.adopt(r.body, meta)]
  }

  return {
    async send(batch, signal) {
      const p = prepare(batch)
      await waitForAccess(batch, signal)
      let result = await attempt(p, signal)
      const waits = retryWaits(retryPeriodMs, maxBackoffMs)
      for (let i = 0; i < c.retries && result.error !== undefined; i++) {
        if (result.verdict === 'drop' || result.verdict === 'ok') break
        logger.debug(`Retrying a failed HTTP request: ${result.error.message}`)
        await sleep(waits(result.verdict), signal)
        await waitForAccess(batch, signal)
        result = await attempt(p, signal)
      }
      if (result.error !== undefined) throw result.error
      return toMessages(result.response!)
    },
    async close() {
      await dispatcher.close()
    },
  }
}

/** undici wraps socket errors (ECONNREFUSED, …) in a cause: say what actually happened. */
function errorText(err: Error): string {
  const cause = err.cause as { message?: string; code?: string } | undefined
  if (err.message === 'fetch failed' || (cause?.message !== undefined && cause.message !== err.message))
    return cause?.message ?? err.message
  return err.message
}

/**
 * A message built from `original` carrying a response: its payload and metadata (status code,
 * extracted headers) over a copy of the original's metadata.
 */
export function withResponse(original: Message, response: Message): Message {
  const m = original.copy()
  m.setBytes(response.bytes())
  for (const [k, v] of response.metadata) m.metadata.set(k, v)
  return m
}
