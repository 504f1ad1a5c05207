// One TCP connection speaking the line protocol: every message is one line, payloads travel
// base64-encoded so any bytes fit. A closed socket fails what waits on it with NotConnected:
// the runtime then reconnects with its backoff.
import { type Socket, connect as tcpConnect } from 'node:net'
import { NotConnected } from '@bento-ts/core'

export interface Connection {
  send(line: string): void
  /** the next line the server sent; throws NotConnected once the socket is gone */
  next(signal?: AbortSignal): Promise<string>
  close(): Promise<void>
}

export async function openConnection(address: string, signal: AbortSignal): Promise<Connection> {
  const [host, port] = splitAddress(address)
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = tcpConnect({ host, port })
    const fail = (err: Error) => {
      s.destroy()
      reject(new NotConnected(`cannot connect to ${address}: ${err.message}`))
    }
    // The signal cancels the connect only: once connected, the socket lives until close().
    const abort = () => fail(new Error('aborted'))
    s.once('error', fail)
    signal.addEventListener('abort', abort, { once: true })
    s.once('connect', () => {
      s.off('error', fail)
      signal.removeEventListener('abort', abort)
      resolve(s)
    })
  })
  const lines: string[] = []
  const waiting: { resolve(line: string): void; reject(err: Error): void }[] = []
  let rest = ''
  let closed: Error | undefined
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop() ?? ''
    for (const line of parts) {
      const w = waiting.shift()
      if (w === undefined) lines.push(line)
      else w.resolve(line)
    }
  })
  const gone = (err?: Error) => {
    closed ??= new NotConnected(`connection to ${address} lost${err === undefined ? '' : `: ${err.message}`}`)
    for (const w of waiting.splice(0)) w.reject(closed)
  }
  socket.on('error', gone)
  socket.on('close', () => gone())
  return {
    send(line) {
      if (closed !== undefined) throw closed
      socket.write(`${line}\n`)
    },
    next(s) {
      const line = lines.shift()
      if (line !== undefined) return Promise.resolve(line)
      if (closed !== undefined) return Promise.reject(closed)
      return new Promise((resolve, reject) => {
        const entry = { resolve, reject }
        waiting.push(entry)
        s?.addEventListener(
          'abort',
          () => {
            const i = waiting.indexOf(entry)
            if (i >= 0) waiting.splice(i, 1)
            reject(s.reason)
          },
          { once: true },
        )
      })
    },
    // Ends after what was sent (acknowledgements above all) has gone out.
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve()
        socket.once('close', () => resolve())
        socket.end()
      }),
  }
}

/** `host:port` → its parts; throws saying what is wrong. */
export function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':')
  const port = Number(address.slice(at + 1))
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`expected host:port, got "${address}"`)
  return [address.slice(0, at), port]
}

export const encode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
export const decode = (text: string): Buffer => Buffer.from(text, 'base64')
