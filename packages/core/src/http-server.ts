import { createServer, type Server } from 'node:http'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'

export interface HttpConfig {
  enabled: boolean
  address: string
  root_path: string
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
export async function startStatusServer(
  config: HttpConfig,
  metrics: Metrics,
  logger: Logger,
  isReady: () => boolean,
): Promise<StatusServer | undefined> {
  if (!config.enabled) return undefined
  const prefix = config.root_path.replace(/\/+$/, '')
  const route = (path: string): string =>
    prefix !== '' && path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path
  const server: Server = createServer((req, res) => {
    const path = route((req.url ?? '/').split('?')[0]!)
    if (path === '/ping') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('pong')
    } else if (path === '/ready') {
      if (isReady()) res.writeHead(200, { 'content-type': 'text/plain' }).end('OK')
      else res.writeHead(503, { 'content-type': 'text/plain' }).end('not ready')
    } else if (path === '/metrics' || path === '/stats') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      )
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
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
