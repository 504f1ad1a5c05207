// The server the tests run against: a small queue speaking the connector's line protocol, on a
// free 127.0.0.1 port. It keeps what a real broker keeps (pending messages, deliveries not yet
// acknowledged, redelivery on NACK or when a consumer disconnects) and lets a test refuse chosen
// payloads once or stop and start the listener.
import { createServer, type Server, type Socket } from 'node:net'

interface Delivery {
  id: number
  payload: string
}

export interface QueueServer {
  address: string
  /** every payload (decoded) the server accepted, in order */
  accepted: string[]
  /** refuse the next PUB of this payload once */
  refuseOnce(payload: string): void
  /** publish directly, as another producer would */
  publish(queue: string, payload: string): void
  stop(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

export async function startQueueServer(): Promise<QueueServer> {
  const queues = new Map<string, Delivery[]>()
  const subscribers = new Map<string, Socket[]>()
  const inflight = new Map<number, { queue: string; delivery: Delivery; socket: Socket }>()
  const accepted: string[] = []
  const refusals = new Set<string>()
  const sockets = new Set<Socket>()
  let nextId = 1
  let port = 0

  const queueOf = (name: string) => {
    const known = queues.get(name)
    if (known !== undefined) return known
    const created: Delivery[] = []
    queues.set(name, created)
    return created
  }
  const pump = (name: string) => {
    const subs = subscribers.get(name) ?? []
    const q = queueOf(name)
    while (q.length > 0 && subs.length > 0) {
      const socket = subs[0]!
      subs.push(subs.shift()!)
      const delivery = q.shift()!
      inflight.set(delivery.id, { queue: name, delivery, socket })
      socket.write(`MSG ${delivery.id} ${delivery.payload}\n`)
    }
  }
  const requeue = (id: number) => {
    const f = inflight.get(id)
    if (f === undefined) return
    inflight.delete(id)
    queueOf(f.queue).unshift(f.delivery)
    pump(f.queue)
  }
  const publish = (queue: string, payload: string) => {
    queueOf(queue).push({ id: nextId++, payload })
    pump(queue)
  }

  const onLine = (socket: Socket, line: string) => {
    const [verb, a, b] = line.split(' ')
    if (verb === 'PUB' && a !== undefined && b !== undefined) {
      const text = Buffer.from(b, 'base64').toString('utf8')
      if (refusals.delete(text)) return void socket.write('ERR refused by test\n')
      accepted.push(text)
      socket.write('OK\n')
      publish(a, b)
    } else if (verb === 'SUB' && a !== undefined) {
      const subs = subscribers.get(a) ?? []
      subs.push(socket)
      subscribers.set(a, subs)
      pump(a)
    } else if (verb === 'ACK') inflight.delete(Number(a))
    else if (verb === 'NACK') requeue(Number(a))
    else socket.write(`ERR unknown command ${verb}\n`)
  }

  const gone = (socket: Socket) => {
    sockets.delete(socket)
    for (const [name, subs] of subscribers)
      subscribers.set(
        name,
        subs.filter((s) => s !== socket),
      )
    for (const [id, f] of [...inflight]) if (f.socket === socket) requeue(id)
  }

  let server: Server | undefined
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((socket) => {
        sockets.add(socket)
        let rest = ''
        socket.setEncoding('utf8')
        socket.on('data', (chunk: string) => {
          const parts = (rest + chunk).split('\n')
          rest = parts.pop() ?? ''
          for (const line of parts) onLine(socket, line)
        })
        socket.on('error', () => {})
        socket.on('close', () => gone(socket))
      })
      s.once('error', reject)
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port
        server = s
        resolve()
      })
    })
  const stop = async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
    server = undefined
  }
  await start()
  return {
    address: `127.0.0.1:${port}`,
    accepted,
    refuseOnce: (payload) => refusals.add(payload),
    publish: (queue, payload) => publish(queue, Buffer.from(payload).toString('base64')),
    stop,
    start,
    close: stop,
  }
}
