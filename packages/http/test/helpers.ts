// Shared pieces of the integration tests: streams built from YAML with this package registered,
// waiting for a port to listen, a recording HTTP sink (a plain node:http server) and a self-signed
// certificate made with openssl.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Message, Stream } from '@bento-ts/core'
import { streamHarness } from '@bento-ts/test-services'

const harness = await streamHarness<Stream, Message>(import.meta.url)
const running = new Set<Stream>()

/** Starts a stream from YAML (set HTTP_TEST_LOG=DEBUG to see its logs). */
export async function startYaml(yaml: string): Promise<Stream> {
  const level = process.env.HTTP_TEST_LOG
  const stream = await harness.start(yaml, level === undefined ? {} : { logLevel: level })
  running.add(stream)
  return stream
}

/** Stops every stream a test started (call from afterEach). */
export async function stopAll(): Promise<void> {
  const all = [...running]
  running.clear()
  await Promise.all(all.map((s) => s.stop(3000)))
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' })
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export interface Recorded {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: Buffer
  /** the status the sink answered */
  status: number
}

export interface Sink {
  port: number
  url: string
  requests: Recorded[]
  close(): Promise<void>
}

export type Reply = (req: Recorded, res: ServerResponse) => number | undefined

/**
 * A plain node:http server that records every request and answers through `reply`, which
 * returns the status to send (default 200, empty body) or undefined when it answered itself.
 */
export async function startSink(
  reply: Reply = () => 200,
  tls?: { cert: string; key: string },
): Promise<Sink> {
  const requests: Recorded[] = []
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const recorded: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        status: 0,
      }
      requests.push(recorded)
      const status = reply(recorded, res)
      if (status !== undefined) {
        recorded.status = status
        res.writeHead(status).end()
      } else recorded.status = res.statusCode
    })
  }
  const server: Server = tls === undefined ? createHttpServer(handler) : createHttpsServer(tls, handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    port,
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const tempDirs: string[] = []

/** A temp dir removed by removeTempDirs (call from afterAll). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'http-test-'))
  tempDirs.push(dir)
  return dir
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** A self-signed certificate for 127.0.0.1 and localhost, written to a temp dir. */
export function selfSignedCert(): { certFile: string; keyFile: string } {
  const dir = tempDir()
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  )
  return { certFile, keyFile }
}
