// The stream runtime of the connector package under test, found from that package's own files.
// test-services cannot depend on @bento-ts/core (core's tests depend on test-services, and turbo
// refuses a cycle), so core is resolved from the package that runs the tests, exactly the copy its
// own src/ imports: one module instance, so `instanceof` checks in core keep holding.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** A message as core hands it to an output (the part the test glue reads). */
export interface StreamMessage {
  bytes(): Uint8Array
  text(): string
  metadata: Map<string, unknown>
  metaString(key: string): string | undefined
  copy(): StreamMessage
}

export interface RunningStream {
  /** resolves when the stream ended by itself (its input ran out) or was stopped */
  done: Promise<void>
  stop(timeoutMs?: number): Promise<void>
  shutdownTimeoutMs: number
}

/** What of @bento-ts/core the glue uses; typed here because this package cannot import core's types. */
export interface CoreModule {
  standardEnvironment(): object
  addPlugin(env: object, plugin: object): void
  loadStreamConfig(text: string, env: object, options?: { vars?: Record<string, string | undefined> }): object
  startStream(config: object, env: object, options: { logger: object }): Promise<RunningStream>
  createLogger(config: { level: string; format?: string }): object
  silentLogger: object
  createMetrics(): object
  createBuilder(
    env: object,
    logger: object,
    metrics: object,
    configs: object,
  ): { builder: object; resources: object }
  field: { string(name: string, options?: object): object }
}

export interface ConnectorRuntime {
  /** the package's folder (where its package.json is) */
  root: string
  core: CoreModule
  /** a standard environment with the package's components registered */
  environment(): object
}

/** The nearest folder at or above `from` (a path or file: URL) holding a package.json. */
export function packageRoot(from: string): string {
  let dir = from.startsWith('file:') ? fileURLToPath(from) : from
  if (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no package.json at or above ${from}`)
    dir = parent
  }
  return dir
}

const loaded = new Map<string, Promise<ConnectorRuntime>>()

/** The runtime of the package containing `from`: its `register(env)` from src/index.ts and its core. */
export function connectorRuntime(from: string): Promise<ConnectorRuntime> {
  const root = packageRoot(from)
  let runtime = loaded.get(root)
  if (runtime === undefined) {
    runtime = load(root)
    loaded.set(root, runtime)
  }
  return runtime
}

async function load(root: string): Promise<ConnectorRuntime> {
  const corePath = createRequire(join(root, 'package.json')).resolve('@bento-ts/core')
  const core = (await import(pathToFileURL(corePath).href)) as CoreModule
  const entry = join(root, 'src/index.ts')
  const own = (await import(pathToFileURL(entry).href)) as { register?: (env: object) => void }
  if (typeof own.register !== 'function')
    throw new Error(
      `${entry} exports no register(env): the test glue registers a package's components with it`,
    )
  const register = own.register
  return {
    root,
    core,
    environment() {
      const env = core.standardEnvironment()
      register(env)
      return env
    },
  }
}
