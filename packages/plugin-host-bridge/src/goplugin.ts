// The plugin side of HashiCorp go-plugin (GoCodeAlone's fork, as the workflow host uses it), over
// gRPC: cookie check, version negotiation, the listener, the handshake line on stdout, and the
// housekeeping services (health, broker, controller, stdio). What the plugin itself offers is
// registered by the caller through `register`.
import { randomInt } from 'node:crypto'
import { chmodSync, chownSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from '@bento-ts/core'
import * as grpc from '@grpc/grpc-js'
import { HealthCheckResponse_ServingStatus, Health as HealthService } from './gen/grpc/health/v1/health_pb.ts'
import { type ConnInfo, GRPCBroker } from './gen/plugin/grpc_broker_pb.ts'
import { GRPCController } from './gen/plugin/grpc_controller_pb.ts'
import { GRPCStdio } from './gen/plugin/grpc_stdio_pb.ts'
import { addService, grpcError, unlimitedMessages } from './grpc.ts'

/** The line go-plugin prints when a plugin binary is started by hand; kept byte for byte. */
export const notAPluginHostMessage =
  'This binary is a plugin. These are not meant to be executed directly.\n' +
  'Please execute the program that consumes these plugins, which will\n' +
  'load any plugins automatically\n'

/** go-plugin's core protocol version: the first handshake field. */
export const coreProtocolVersion = 1

export interface HandshakeConfig {
  /** the application protocol versions this plugin speaks, e.g. [1] */
  protocolVersions: readonly number[]
  magicCookieKey: string
  magicCookieValue: string
}

export interface ServeOptions {
  handshake: HandshakeConfig
  /** registers the plugin's own services (and gets the broker, for dialling host services) */
  register(server: grpc.Server, broker: Broker): void
  /** runs when the host asks the plugin to exit, before the process exits (bounded by a deadline) */
  onShutdown?: () => Promise<void>
  logger: Logger
  env?: NodeJS.ProcessEnv
  /** default process.exit; tests may catch the exit instead */
  exit?: (code: number) => void
  /** default: write to stdout */
  writeHandshake?: (line: string) => void
  /** how long cleanup may take after Shutdown before the process exits anyway (default 1500 ms) */
  shutdownDeadlineMs?: number
}

export interface PluginServer {
  /** the handshake line printed (without its newline) */
  handshake: string
  network: 'unix' | 'tcp'
  address: string
  /** negotiated application protocol version */
  protocolVersion: number
  broker: Broker
  /** runs the shutdown sequence (as the Shutdown RPC does) */
  shutdown(): Promise<void>
}

/**
 * Picks the application protocol version: the highest we speak that the host listed. With no
 * match, our lowest is advertised anyway and the host reports the mismatch (as go-plugin does).
 */
export function negotiateVersion(
  hostList: string | undefined,
  ours: readonly number[],
  warn: (line: string) => void,
): number {
  const sorted = [...ours].sort((a, b) => b - a)
  const offered = new Set<number>()
  for (const raw of (hostList ?? '').split(',')) {
    const s = raw.trim()
    if (s === '') continue
    const n = /^[0-9]+$/.test(s) ? Number(s) : Number.NaN
    if (Number.isNaN(n)) {
      warn(`server sent invalid plugin version "${s}"\n`)
      continue
    }
    offered.add(n)
  }
  return sorted.find((v) => offered.has(v)) ?? sorted[sorted.length - 1]!
}

/**
 * go-plugin's broker, plugin side: the host announces servers it listens on (ConnInfo by service
 * id) over the StartStream call; `dial(id)` waits for that announcement and connects to it.
 */
export class Broker {
  readonly #known = new Map<number, ConnInfo>()
  readonly #waiting = new Map<number, ((info: ConnInfo) => void)[]>()
  readonly #streams = new Set<grpc.ServerDuplexStream<ConnInfo, unknown>>()

  /** @internal handler of plugin.GRPCBroker/StartStream */
  attach(call: grpc.ServerDuplexStream<ConnInfo, unknown>, logger: Logger): void {
    this.#streams.add(call)
    call.on('data', (info: ConnInfo) => {
      if (info.knock?.knock) {
        // Multiplexed broker connections: we say we do not support them; refuse politely.
        call.write({ serviceId: info.serviceId, knock: { knock: true, ack: false, error: 'not supported' } })
        return
      }
      logger.debug('broker: host service announced', {
        service_id: info.serviceId,
        network: info.network,
        address: info.address,
      })
      this.#known.set(info.serviceId, info)
      const waiters = this.#waiting.get(info.serviceId) ?? []
      this.#waiting.delete(info.serviceId)
      for (const w of waiters) w(info)
    })
    const forget = () => this.#streams.delete(call)
    call.on('end', () => {
      forget()
      call.end()
    })
    call.on('error', forget)
    call.on('cancelled', forget)
  }

  /** Waits up to `timeoutMs` for the host to announce service `id`; undefined when it did not. */
  async connInfo(id: number, timeoutMs = 5000): Promise<ConnInfo | undefined> {
    const known = this.#known.get(id)
    if (known !== undefined) return known
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.#waiting.get(id)?.filter((w) => w !== done)
        if (list !== undefined && list.length > 0) this.#waiting.set(id, list)
        else this.#waiting.delete(id)
        resolve(undefined)
      }, timeoutMs)
      const done = (info: ConnInfo) => {
        clearTimeout(timer)
        resolve(info)
      }
      this.#waiting.set(id, [...(this.#waiting.get(id) ?? []), done])
    })
  }

  /** The grpc-js target of an announced service. */
  static target(info: ConnInfo): string {
    if (info.network === 'unix') return `unix:${info.address}`
    if (info.network === 'tcp') return info.address
    throw new Error(`Unknown address type: ${info.network}`)
  }

  /**
   * Connects to host service `id` (plaintext, as the workflow host serves it) and waits until the
   * connection is up. Throws `timeout waiting for connection info` when it was never announced.
   */
  async dial(id: number, timeoutMs = 5000): Promise<grpc.Client> {
    const info = await this.connInfo(id, timeoutMs)
    if (info === undefined) throw new Error('timeout waiting for connection info')
    const client = new grpc.Client(Broker.target(info), grpc.credentials.createInsecure(), unlimitedMessages)
    try {
      await new Promise<void>((resolve, reject) =>
        client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())),
      )
    } catch (err) {
      client.close()
      throw err
    }
    return client
  }

  /** Ends every broker stream (the host then closes its broker). */
  close(): void {
    for (const call of this.#streams) call.end()
    this.#streams.clear()
  }
}

/** Resolves PLUGIN_UNIX_SOCKET_GROUP (a gid or a group name from /etc/group) to a gid. */
function groupId(group: string): number {
  if (/^[0-9]+$/.test(group)) return Number(group)
  let text = ''
  try {
    text = readFileSync('/etc/group', 'utf8')
  } catch {}
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':')
    if (name === group && gid !== undefined && /^[0-9]+$/.test(gid)) return Number(gid)
  }
  throw new Error(`unknown group "${group}" in PLUGIN_UNIX_SOCKET_GROUP`)
}

const maxUnixPath = 100 // sun_path is 104 bytes on macOS, 108 on Linux

function bind(server: grpc.Server, target: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  )
}

/** Listens on a Unix socket (the norm), or on loopback TCP in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT. */
async function listen(
  server: grpc.Server,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<{ network: 'unix' | 'tcp'; address: string }> {
  const dir = env.PLUGIN_UNIX_SOCKET_DIR || tmpdir()
  const path = join(dir, `plugin${randomInt(1_000_000_000, 10_000_000_000)}`)
  if (Buffer.byteLength(path) <= maxUnixPath) {
    try {
      await bind(server, `unix:${path}`)
      const group = env.PLUGIN_UNIX_SOCKET_GROUP
      if (group !== undefined && group !== '') {
        chownSync(path, -1, groupId(group))
        chmodSync(path, 0o660)
      } else {
        chmodSync(path, 0o600)
      }
      return { network: 'unix', address: path }
    } catch (err) {
      logger.warn('could not listen on a Unix socket; trying TCP', { path, error: (err as Error).message })
      rmSync(path, { force: true })
    }
  } else {
    logger.warn('socket path too long for a Unix socket; using TCP', { path })
  }
  const min = Number(env.PLUGIN_MIN_PORT || '10000')
  const max = Number(env.PLUGIN_MAX_PORT || '25000')
  for (let port = min; port <= max; port++) {
    try {
      const bound = await bind(server, `127.0.0.1:${port}`)
      return { network: 'tcp', address: `127.0.0.1:${bound}` }
    } catch {}
  }
  throw new Error("Couldn't bind plugin TCP listener")
}

/**
 * Serves a go-plugin gRPC plugin. Returns once the handshake line is printed. When the magic cookie
 * is missing or wrong, prints go-plugin's message to stderr and exits with status 1.
 */
export async function servePlugin(options: ServeOptions): Promise<PluginServer | undefined> {
  const env = options.env ?? process.env
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const { logger } = options
  const { handshake } = options
  if (env[handshake.magicCookieKey] !== handshake.magicCookieValue) {
    process.stderr.write(notAPluginHostMessage)
    exit(1)
    return undefined
  }
  const protocolVersion = negotiateVersion(env.PLUGIN_PROTOCOL_VERSIONS, handshake.protocolVersions, (line) =>
    process.stderr.write(line),
  )
  if (env.PLUGIN_CLIENT_CERT !== undefined && env.PLUGIN_CLIENT_CERT !== '') {
    // AutoMTLS: the workflow host never asks for it; serving plaintext makes the host fail loudly.
    logger.warn('the host asked for AutoMTLS, which this plugin does not support; serving plaintext')
  }

  // Ctrl-C in a terminal reaches the whole process group; the host decides when we stop.
  process.on('SIGINT', () => {})

  const server = new grpc.Server(unlimitedMessages)
  const broker = new Broker()
  const openStreams = new Set<{ end(): void }>()

  addService(server, HealthService, {
    check: (request) => {
      if (request.service === '' || request.service === 'plugin') {
        return { status: HealthCheckResponse_ServingStatus.SERVING }
      }
      throw grpcError(grpc.status.NOT_FOUND, 'unknown service')
    },
    watch: (call) => {
      const known = call.request.service === '' || call.request.service === 'plugin'
      call.write({
        status: known
          ? HealthCheckResponse_ServingStatus.SERVING
          : HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN,
      })
      openStreams.add(call)
      call.on('cancelled', () => openStreams.delete(call))
    },
  })
  addService(server, GRPCBroker, {
    startStream: (call) => broker.attach(call as grpc.ServerDuplexStream<ConnInfo, unknown>, logger),
  })
  // Our stdout/stderr are real file descriptors the host already reads; nothing to relay. The
  // stream stays open (an ended one makes the host log a warning) until we shut down.
  addService(server, GRPCStdio, {
    streamStdio: (call) => {
      openStreams.add(call)
      call.on('cancelled', () => openStreams.delete(call))
    },
  })

  let shuttingDown: Promise<void> | undefined
  let socketPath: string | undefined
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      const deadlineMs = options.shutdownDeadlineMs ?? 1500
      const hardStop = setTimeout(() => exit(0), deadlineMs + 300)
      hardStop.unref()
      logger.debug('shutdown requested by the host')
      try {
        if (options.onShutdown !== undefined) {
          await Promise.race([
            options
              .onShutdown()
              .catch((err: Error) => logger.error('shutdown cleanup failed', { error: err })),
            new Promise((resolve) => setTimeout(resolve, deadlineMs).unref()),
          ])
        }
      } finally {
        broker.close()
        for (const s of openStreams) s.end()
        openStreams.clear()
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            server.forceShutdown()
            resolve()
          }, 200)
          server.tryShutdown(() => {
            clearTimeout(force)
            resolve()
          })
        })
        if (socketPath !== undefined) rmSync(socketPath, { force: true })
        clearTimeout(hardStop)
        exit(0)
      }
    })()
    return shuttingDown
  }

  addService(server, GRPCController, {
    shutdown: () => {
      // Answer first; the cleanup runs once the reply is on its way.
      setImmediate(() => void shutdown())
      return {}
    },
  })

  options.register(server, broker)

  const { network, address } = await listen(server, env, logger)
  if (network === 'unix') socketPath = address
  const removeSocket = () => {
    if (socketPath !== undefined) rmSync(socketPath, { force: true })
  }
  process.once('exit', removeSocket)
  // go-plugin never sends SIGTERM, but a supervisor might: leave as cleanly as on Shutdown.
  process.once('SIGTERM', () => void shutdown())
  // A host that died without Shutdown (SIGKILL, crash) leaves us reparented: do not linger.
  const parent = process.ppid
  setInterval(() => {
    if (process.ppid !== parent) {
      logger.warn('the host process is gone; shutting down')
      void shutdown()
    }
  }, 1000).unref()

  // Field 7: we do not multiplex broker connections over the main listener.
  const line = `${coreProtocolVersion}|${protocolVersion}|${network}|${address}|grpc||false`
  ;(options.writeHandshake ?? ((l: string) => process.stdout.write(`${l}\n`)))(line)
  logger.debug('plugin serving', { network, address, protocol_version: protocolVersion })
  return { handshake: line, network, address, protocolVersion, broker, shutdown }
}
