// Running stream configs in the tests, in process or as a child process (crash and outage tests),
// with the package under test registered and the `capture` output available.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { addCaptureOutput, type Capture, captureRegistry } from './capture.ts'
import { type ConnectorRuntime, connectorRuntime, type RunningStream, type StreamMessage } from './runtime.ts'

/**
 * Streams of one package's components. `S` and `M` are core's Stream and Message for a caller
 * that has core's types (`streamHarness<Stream, Message>(import.meta.url)`); this package has not.
 */
export interface StreamHarness<
  S extends RunningStream = RunningStream,
  M extends StreamMessage = StreamMessage,
> {
  runtime: ConnectorRuntime
  /** starts a stream from YAML; `capture: <name>` outputs record into `captured(name)` */
  start(yaml: string, options?: StartOptions): Promise<S>
  /** the capture named `name` (made on first use, also before any stream writes to it) */
  captured(name: string): Capture<M>
}

export interface StartOptions {
  /** `${NAME}` substitutions instead of the process environment */
  vars?: Record<string, string | undefined>
  /** a logger at this level (default: silent) */
  logLevel?: string
  /** a logger of the caller's own (core's Logger) */
  logger?: object
}

/** A harness for the package containing `from` (pass the test file's `import.meta.url`). */
export async function streamHarness<
  S extends RunningStream = RunningStream,
  M extends StreamMessage = StreamMessage,
>(from: string): Promise<StreamHarness<S, M>> {
  const runtime = await connectorRuntime(from)
  const captured = captureRegistry()
  return {
    runtime,
    captured: captured as unknown as (name: string) => Capture<M>,
    async start(yaml, options = {}) {
      const { core } = runtime
      const env = runtime.environment()
      addCaptureOutput(core, env, captured)
      const config = core.loadStreamConfig(
        yaml,
        env,
        options.vars === undefined ? {} : { vars: options.vars },
      )
      const logger =
        options.logger ??
        (options.logLevel === undefined ? core.silentLogger : core.createLogger({ level: options.logLevel }))
      return (await core.startStream(config, env, { logger })) as S
    },
  }
}

/** The child-process entry point (run-stream.ts): `node run-stream.ts <package dir> <config.yaml>`. */
export const runStreamScript = join(import.meta.dirname, 'run-stream.ts')

/** The arguments of runStreamScript for a config file, for the package containing `from`. */
export async function runStreamArgs(from: string, configFile: string): Promise<string[]> {
  return [(await connectorRuntime(from)).root, configFile]
}

/**
 * Starts a stream config file in a child process with the package containing `from` registered;
 * its stderr is appended to `log`. SIGTERM stops it gracefully, SIGKILL is the crash.
 */
export async function spawnStream(
  from: string,
  configFile: string,
  log: string[] = [],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [runStreamScript, ...(await runStreamArgs(from, configFile))], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()))
  return child
}
