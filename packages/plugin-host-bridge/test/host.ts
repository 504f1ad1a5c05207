// Plays the workflow host at the wire level: starts the plugin executable as go-plugin would,
// reads the handshake, and gives typed gRPC clients of the plugin's services.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '@bento-ts/test-services'
import * as grpc from '@grpc/grpc-js'
import { Health } from '../src/gen/grpc/health/v1/health_pb.ts'
import { GRPCBroker } from '../src/gen/plugin/grpc_broker_pb.ts'
import { GRPCController } from '../src/gen/plugin/grpc_controller_pb.ts'
import { GRPCStdio } from '../src/gen/plugin/grpc_stdio_pb.ts'
import { EngineCallbackService, PluginService } from '../src/gen/workflow/plugin/v1/plugin_pb.ts'
import { addService, createClient, type ServiceHandlers } from '../src/grpc.ts'

export const pluginMain = join(repoRoot, 'apps', 'plugin', 'src', 'main.ts')
const packageDir = join(repoRoot, 'packages', 'plugin-host-bridge')

/** apps/plugin imports this package's dist: build it (tsc is incremental enough to be quick). */
export function buildBridge(): void {
  const tsc = createRequire(join(packageDir, 'package.json')).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageDir, stdio: 'inherit' })
}

export const exePath = join(repoRoot, 'apps', 'plugin', 'dist', 'exe', 'workflow-plugin-bento')

/** The newest modification time of the TypeScript sources that go into the executable. */
function newestSource(): number {
  let newest = 0
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs)
    }
  }
  for (const pkg of readdirSync(join(repoRoot, 'packages'))) {
    const src = join(repoRoot, 'packages', pkg, 'src')
    if (existsSync(src)) walk(src)
  }
  walk(join(repoRoot, 'apps', 'plugin', 'src'))
  return newest
}

/** The single executable, built (apps/plugin `build:exe`) when missing or older than a source. */
export function ensureExe(): string {
  if (!existsSync(exePath) || statSync(exePath).mtimeMs < newestSource()) {
    const script = join(repoRoot, 'apps', 'plugin', 'scripts', 'build-exe.ts')
    execFileSync(process.execPath, [script], { cwd: join(repoRoot, 'apps', 'plugin'), stdio: 'inherit' })
  }
  return exePath
}

/** The environment the workflow host gives a plugin (go-plugin's client adds these). */
export const hostEnv = {
  WORKFLOW_PLUGIN: 'workflow-external-plugin-v1',
  PLUGIN_MIN_PORT: '10000',
  PLUGIN_MAX_PORT: '25000',
  PLUGIN_PROTOCOL_VERSIONS: '1',
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Started {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<Exit>
}

/** How the plugin is started: Node on apps/plugin/src/main.ts (default), or an executable. */
export const fromSource: readonly string[] = [process.execPath, pluginMain]

export function start(
  env: Record<string, string | undefined>,
  args: string[] = [],
  program: readonly string[] = fromSource,
): Started {
  const child = spawn(program[0]!, [...program.slice(1), ...args], {
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d
  })
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return { child, stdout: () => out, stderr: () => err, exited }
}

export interface Plugin extends Started {
  handshake: string
  fields: string[]
  /** the grpc-js target of the plugin's listener */
  target: string
  /** ms from spawn to the handshake line */
  handshakeMs: number
  health: ReturnType<typeof createClient<(typeof Health)['method']>>
  broker: ReturnType<typeof createClient<(typeof GRPCBroker)['method']>>
  controller: ReturnType<typeof createClient<(typeof GRPCController)['method']>>
  stdio: ReturnType<typeof createClient<(typeof GRPCStdio)['method']>>
  plugin: ReturnType<typeof createClient<(typeof PluginService)['method']>>
  close(): void
}

/** Starts the plugin as the host does and waits (up to 30 s) for its handshake line. */
export async function launch(
  extraEnv: Record<string, string | undefined> = {},
  program: readonly string[] = fromSource,
): Promise<Plugin> {
  const t0 = performance.now()
  const started = start({ ...process.env, ...hostEnv, ...extraEnv }, [], program)
  const handshake = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no handshake in 30 s; stderr: ${started.stderr()}`)),
      30_000,
    )
    const onData = () => {
      const nl = started.stdout().indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        started.child.stdout!.off('data', onData)
        resolve(started.stdout().slice(0, nl))
      }
    }
    started.child.stdout!.on('data', onData)
    started.exited.then((e) =>
      reject(new Error(`plugin exited (${e.code ?? e.signal}) before the handshake: ${started.stderr()}`)),
    )
  })
  const handshakeMs = performance.now() - t0
  const fields = handshake.split('|')
  const target = fields[2] === 'unix' ? `unix:${fields[3]}` : fields[3]!
  // One channel for all services, as go-plugin's client has.
  const channel = new grpc.Client(target, grpc.credentials.createInsecure())
  const p: Plugin = {
    ...started,
    handshake,
    fields,
    target,
    handshakeMs,
    health: createClient(Health, channel),
    broker: createClient(GRPCBroker, channel),
    controller: createClient(GRPCController, channel),
    stdio: createClient(GRPCStdio, channel),
    plugin: createClient(PluginService, channel),
    close: () => channel.close(),
  }
  return p
}

/** A host-side EngineCallbackService on a fresh Unix socket, recording what the plugin calls. */
export async function callbackServer(
  handlers: Partial<ServiceHandlers<(typeof EngineCallbackService)['method']>> = {},
): Promise<{ address: string; stop(): void }> {
  const address = join(mkdtempSync(join(tmpdir(), 'cb')), 'callback.sock')
  const server = new grpc.Server()
  addService(server, EngineCallbackService, handlers)
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${address}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  )
  return { address, stop: () => server.forceShutdown() }
}

/** A process's resident set size in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0)
  return kb / 1024
}

/** Resolves with the value, or rejects after `ms`. */
export function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
  ])
}
