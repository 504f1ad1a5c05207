// A server a test may stop and start again (the reconnect tests). Cheap servers (Redis, NATS) run
// as a private instance on a free port, owned by the test, so restarting it disturbs nobody else's
// tests; the expensive ones (Kafka, moto, the Pub/Sub emulator) are the shared server, restarted
// through the services CLI, which a package may do only when its package.json declares it (the
// integration scheduler then runs no other package using that server at the same time).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startService, stopService } from './control.ts'
import { requireService, type ServiceName } from './env.ts'
import { freePort } from './ports.ts'
import { waitUntil } from './process.ts'
import { tcpExchange } from './services.ts'
import { ensureTool } from './tools.ts'

export interface RestartableServer {
  /** the endpoints, under the names `requireService` uses (REDIS_URL, NATS_URL, …) */
  env: Record<string, string>
  stop(): Promise<void>
  start(): Promise<void>
  /** stops it for good and removes what it stored (a no-op for a shared server) */
  close(): Promise<void>
}

const host = '127.0.0.1'

interface PrivateKind {
  env(ports: number[]): Record<string, string>
  ports: number
  command(ports: number[], dir: string): Promise<[string, string[]]>
  probe(ports: number[]): Promise<boolean>
}

const privateKinds: Partial<Record<ServiceName, PrivateKind>> = {
  redis: {
    ports: 1,
    env: ([port]) => ({ REDIS_URL: `redis://${host}:${port}` }),
    // appendfsync always: what the server acknowledged survives the restart, as a user's would
    command: async ([port], dir) => [
      'redis-server',
      [
        '--bind',
        host,
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        dir,
      ],
    ],
    probe: async ([port]) => (await tcpExchange(port!, 'PING\r\n')).startsWith('+PONG'),
  },
  nats: {
    ports: 2,
    env: ([port]) => ({ NATS_URL: `nats://${host}:${port}` }),
    command: async ([port, monitor], dir) => [
      await ensureTool('nats-server'),
      ['-a', host, '-p', String(port), '-m', String(monitor), '-js', '-sd', dir],
    ],
    probe: async ([, monitor]) => {
      const res = await fetch(`http://${host}:${monitor}/healthz?js-enabled-only=true`, {
        signal: AbortSignal.timeout(2000),
      })
      await res.arrayBuffer()
      return res.ok
    },
  },
}

/** Whether `privateServer(name)` can start an instance of this service. */
export const hasPrivateServer = (name: ServiceName): boolean => privateKinds[name] !== undefined

/** Starts a private instance of a cheap server on free ports; it dies with the test process. */
export async function privateServer(name: ServiceName): Promise<RestartableServer> {
  const kind = privateKinds[name]
  if (kind === undefined) throw new Error(`no private ${name} server: restart the shared one (sharedServer)`)
  const ports = await Promise.all(Array.from({ length: kind.ports }, freePort))
  const dir = mkdtempSync(join(tmpdir(), `bento-ts-${name}-`))
  let child: ChildProcess | undefined
  let output = ''
  const stop = async (): Promise<void> => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill('SIGTERM')
    })
  }
  const start = async (): Promise<void> => {
    const [command, args] = await kind.command(ports, dir)
    const started = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000)
    }
    started.stdout?.on('data', keep)
    started.stderr?.on('data', keep)
    child = started
    // a private server must not outlive the test process, whatever ends it
    process.once('exit', () => started.kill('SIGKILL'))
    const outcome = await waitUntil(
      () => kind.probe(ports),
      30_000,
      () => started.exitCode === null,
    )
    if (!outcome.ready) {
      await stop()
      throw new Error(
        `private ${name} server did not start (${outcome.lastError ?? 'not ready'}):\n${output}`,
      )
    }
  }
  await start()
  return {
    env: kind.env(ports),
    stop,
    start,
    async close() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The names a package's package.json declares under `bento-ts.restarts`. */
export function declaredRestarts(packageJson: string): string[] {
  const meta = JSON.parse(readFileSync(packageJson, 'utf8')) as { 'bento-ts'?: { restarts?: string[] } }
  return meta['bento-ts']?.restarts ?? []
}

/**
 * The shared server of `name`, stopped and started through the services CLI. Refused unless the
 * package declares `"bento-ts": { "restarts": ["<name>"] }`: the scheduler must know, or it
 * would run another package against the server while it is down.
 */
export function sharedServer(name: ServiceName, packageJson: string): RestartableServer {
  if (!declaredRestarts(packageJson).includes(name))
    throw new Error(
      `${packageJson} does not declare that its tests restart the shared ${name} server: ` +
        `add "bento-ts": { "restarts": ["${name}"] } so no package using ${name} runs meanwhile`,
    )
  return {
    env: requireService(name),
    stop: () => stopService(name),
    start: () => startService(name),
    close: async () => {},
  }
}
