// Bento's `cors` block (of the service-wide http server and of http_server), with the behaviour of the gorilla/handlers CORS wrapper it
// uses: preflight requests are answered here, actual requests from an allowed origin get
// `Access-Control-Allow-Origin`, requests without an allowed origin pass through untouched.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { FieldError } from './component.ts'
import { field, type ValueOf } from './spec.ts'

const canonicalCache = new Map<string, string>()
const tokenChar = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * Go's textproto.CanonicalMIMEHeaderKey: `content-type` → `Content-Type`. A name with characters
 * outside the token set is returned unchanged, as Go does.
 */
export function canonicalHeaderKey(name: string): string {
  const cached = canonicalCache.get(name)
  if (cached !== undefined) return cached
  let out = name
  if (tokenChar.test(name)) {
    out = ''
    let upper = true
    for (const ch of name) {
      out += upper ? ch.toUpperCase() : ch.toLowerCase()
      upper = ch === '-'
    }
  }
  if (canonicalCache.size < 4096) canonicalCache.set(name, out)
  return out
}

const defaultMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']

export const corsField = field.object(
  'cors',
  [
    field.bool('enabled', { default: false, description: 'Whether to allow CORS requests.' }),
    field.array('allowed_origins', 'string', {
      default: [],
      description: 'An explicit list of origins that are allowed for CORS requests (`*` allows any).',
    }),
    field.array('allowed_headers', 'string', {
      default: [],
      description: 'Appends additional headers to the list of default allowed headers.',
    }),
    field.array('allowed_methods', 'string', {
      default: defaultMethods,
      description: 'Used to explicitly override allowed methods.',
    }),
  ],
  {
    default: { enabled: false, allowed_origins: [], allowed_headers: [], allowed_methods: defaultMethods },
    advanced: true,
    description: 'Adds Cross-Origin Resource Sharing headers.',
  },
)

export type CorsConfig = ValueOf<typeof corsField>

// Headers and methods a browser may always use (gorilla's defaults): never asked about.
const simpleHeaders = ['Accept', 'Accept-Language', 'Content-Language', 'Origin']
const simpleMethods = ['GET', 'HEAD', 'POST']

/**
 * The CORS step of a request: true when it answered the request itself (a preflight), false when
 * the request goes on to its handler (with the CORS headers already set on `res` when they apply).
 * Undefined when CORS is disabled. Throws when enabled without any allowed origin.
 */
export function corsStep(
  c: CorsConfig,
): ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined {
  if (!c.enabled) return undefined
  if (c.allowed_origins.length === 0)
    throw new FieldError('cors.allowed_origins', 'must specify at least one allowed origin')
  const origins = new Set(c.allowed_origins)
  const anyOrigin = origins.has('*')
  const methods = new Set(c.allowed_methods.map((m) => m.toUpperCase()))
  const headers = new Set(simpleHeaders)
  for (const h of c.allowed_headers) {
    const name = canonicalHeaderKey(h.trim())
    if (name !== '') headers.add(name)
  }
  return (req, res) => {
    const origin = req.headers.origin
    const preflight = req.method === 'OPTIONS'
    if (origin === undefined || origin === '' || !(anyOrigin || origins.has(origin))) {
      if (!preflight) return false
      res.writeHead(200).end()
      return true
    }
    if (preflight) {
      const method = req.headers['access-control-request-method']
      if (method === undefined) {
        res.writeHead(400).end()
        return true
      }
      if (!methods.has(method)) {
        res.writeHead(405).end()
        return true
      }
      const asked: string[] = []
      for (const raw of (req.headers['access-control-request-headers'] ?? '').split(',')) {
        const name = canonicalHeaderKey(raw.trim())
        if (name === '' || simpleHeaders.includes(name)) continue
        if (!headers.has(name)) {
          res.writeHead(403).end()
          return true
        }
        asked.push(name)
      }
      if (asked.length > 0) res.setHeader('Access-Control-Allow-Headers', asked.join(','))
      if (!simpleMethods.includes(method)) res.setHeader('Access-Control-Allow-Methods', method)
    }
    if (origins.size > 1) res.setHeader('Vary', 'Origin')
    res.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin)
    if (preflight) {
      res.writeHead(200).end()
      return true
    }
    return false
  }
}

/** Whether a cross-origin websocket handshake from this origin is allowed by the CORS config. */
export function corsAllowsOrigin(c: CorsConfig, origin: string): boolean {
  return c.enabled && (c.allowed_origins.includes('*') || c.allowed_origins.includes(origin))
}
