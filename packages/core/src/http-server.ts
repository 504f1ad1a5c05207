import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { stringify as stringifyYAML } from 'yaml'
import { type BasicAuthConfig, basicAuthStep } from './basic-auth.ts'
import { FieldError } from './component.ts'
import { type CorsConfig, corsStep } from './cors.ts'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'

/** when this process started serving, as Bento's `/version` reports its build time */
const builtAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z')

export interface HttpConfig {
  enabled: boolean
  address: string
  root_path: string
  cors?: CorsConfig
  basic_auth?: BasicAuthConfig
}

/** A bad cors or basic_auth block fails the start, named by its path, as Bento refuses it. */
function httpStep<T>(make: () => T): T {
  try {
    return make()
  } catch (err) {
    if (err instanceof FieldError) throw new Error(`http.${err.message}`, { cause: err })
    throw err
  }
}

export interface StatusServer {
  /** the address it listens on, e.g. 127.0.0.1:4195 (port 0 in the config picks a free one) */
  readonly address: string
  close(): Promise<void>
}

/**
 * Bento's service-wide HTTP server: `/ping` (alive), `/ready` (503 until the stream runs and while
 * it stops), `/metrics` (Prometheus). Each endpoint answers both at the root and under root_path,
 * as Bento does.
 */
export interface StatusServerExtras {
  /** answers `/version` */
  version?: string
  /** more routes (the streams API): true when it answered */
  handle?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean
  /** what `/endpoints` lists beside the built-in ones (read on each request) */
  endpoints?: () => Record<string, string>
  /** with http.debug_endpoints: `/debug/config/json` and `/debug/config/yaml` show this config */
  config?: unknown
}

const builtinEndpoints: Record<string, string> = {
  '/endpoints': 'Returns this map of endpoints.',
  '/ping': 'Ping me.',
  '/ready': 'Returns 200 OK if all inputs and outputs are connected, otherwise a 503 is returned.',
  '/version': 'Returns the service version.',
}

const debugEndpoints: Record<string, string> = {
  '/debug/config/json': 'Returns the loaded config as JSON.',
  '/debug/config/yaml': 'Returns the loaded config as YAML.',
  '/debug/stack': 'Returns a snapshot of the current service stack trace.',
}

export async function startStatusServer(
  config: HttpConfig,
  metrics: Metrics,
  logger: Logger,
  isReady: () => boolean,
  extras: StatusServerExtras = {},
): Promise<StatusServer | undefined> {
  if (!config.enabled) return undefined
  const prefix = config.root_path.replace(/\/+$/, '')
  const route = (path: string): string =>
    prefix !== '' && path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path
  // CORS wraps the whole server and basic auth every endpoint, in Bento's order.
  const cors = config.cors === undefined ? undefined : httpStep(() => corsStep(config.cors!))
  const auth = config.basic_auth === undefined ? undefined : httpStep(() => basicAuthStep(config.basic_auth!))
  const server: Server = createServer((req, res) => {
    if (cors?.(req, res) === true) return
    if (auth !== undefined && !auth(req, res)) return
    const path = route((req.url ?? '/').split('?')[0]!)
    if (extras.handle?.(req, res, path) === true) return
    const debug = (config as { debug_endpoints?: boolean }).debug_endpoints === true
    if (path === '/version') {
      res
        .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`{"version":${JSON.stringify(extras.version ?? '')}, "built":${JSON.stringify(builtAt)}}`)
    } else if (path === '/endpoints') {
      const all = { ...builtinEndpoints, ...(debug ? debugEndpoints : {}), ...(extras.endpoints?.() ?? {}) }
      const sorted = Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1)))
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(JSON.stringify(sorted))
    } else if (debug && path === '/debug/config/json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(extras.config ?? {}))
    } else if (debug && path === '/debug/config/yaml') {
      res
        .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end(stringifyYAML(extras.config ?? {}))
    } else if (debug && path === '/debug/stack') {
      // Node has one JavaScript stack; what is pending on the event loop is the closest to Go's goroutines.
      const pending = process.getActiveResourcesInfo()
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`${pending.join('\n')}\n`)
    } else if (path === '/ping') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('pong')
    } else if (path === '/ready') {
      if (isReady()) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('OK')
      else res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('not ready')
    } else if (path === '/metrics' || path === '/stats') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      )
    } else {
      // Go's http.NotFound, which Bento's status server answers
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n')
    }
  })
  const separator = config.address.lastIndexOf(':')
  const host = separator > 0 ? config.address.slice(0, separator) : '0.0.0.0'
  const port = Number(config.address.slice(separator + 1))
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
  } catch (err) {
    // A busy port must not stop the stream: Bento logs it and carries on.
    logger.error(`Failed to start the HTTP server on ${config.address}: ${(err as Error).message}`)
    return undefined
  }
  const bound = server.address()
  const address = typeof bound === 'object' && bound !== null ? `${host}:${bound.port}` : config.address
  logger.info(`Listening for HTTP requests at: http://${address}`)
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
