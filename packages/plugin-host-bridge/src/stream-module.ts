// `bento.stream`: the module config is a whole Bento stream config, run for the module's lifetime.
import {
  ConfigError,
  type Environment,
  type Logger,
  loadStreamConfig,
  type Stream,
  type StreamConfig,
  startStream,
} from '@bento-ts/core'
import type { JsonObject } from '@bufbuild/protobuf'
import { stringify } from 'yaml'
import { createPluginLogger } from './log.ts'

/** Drops keys the host adds for itself (`_config_dir`, …): they are not Bento config. */
export function withoutInternalKeys(config: JsonObject | undefined): JsonObject {
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(config ?? {})) if (!key.startsWith('_')) out[key] = value
  return out
}

/** The longest a StopModule waits for in-flight messages before cancelling them. */
const maxStopMs = 10_000

export type ModuleState = 'created' | 'initialized' | 'running' | 'stopped' | 'failed'

export class StreamModule {
  readonly name: string
  readonly #config: JsonObject
  readonly #env: Environment
  readonly #logger: Logger
  #checked: StreamConfig | undefined
  #stream: Stream | undefined
  #state: ModuleState = 'created'

  constructor(name: string, config: JsonObject | undefined, env: Environment, logger: Logger) {
    this.name = name
    this.#config = withoutInternalKeys(config)
    this.#env = env
    this.#logger = logger.child({ module: name, type: 'bento.stream' })
  }

  get state(): ModuleState {
    return this.#state
  }

  #fail(message: string, cause?: unknown): Error {
    return new Error(`bento.stream "${this.name}": ${message}`, cause === undefined ? {} : { cause })
  }

  /** Checks the config: empty, no input or output, unknown components, bad fields. */
  init(): void {
    if (Object.keys(this.#config).length === 0) throw this.#fail('configuration is empty')
    const missing = ['input', 'output'].filter(
      (k) => this.#config[k] === undefined || this.#config[k] === null,
    )
    if (missing.length > 0) {
      throw this.#fail(
        `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required (a plugin has no usable stdin/stdout)`,
      )
    }
    try {
      this.#checked = loadStreamConfig(stringify(this.#config), this.#env)
    } catch (err) {
      if (err instanceof ConfigError) {
        throw this.#fail(
          err.problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('; '),
        )
      }
      throw this.#fail((err as Error).message, err)
    }
    if (this.#state === 'created') this.#state = 'initialized'
  }

  /** Builds the components and starts the stream in the background; returns once it runs. */
  async start(): Promise<void> {
    if (this.#stream !== undefined && this.#state === 'running') return
    if (this.#checked === undefined) this.init()
    const config = this.#checked!
    const level = typeof config.logger?.level === 'string' ? config.logger.level : 'info'
    try {
      this.#stream = await startStream(config, this.#env, {
        logger: createPluginLogger({ level, fields: { module: this.name, type: 'bento.stream' } }),
      })
    } catch (err) {
      this.#state = 'failed'
      throw this.#fail(`start: ${(err as Error).message}`, err)
    }
    this.#state = 'running'
    this.#logger.info('stream started', { input: config.input.type, output: config.output.type })
    const stream = this.#stream
    stream.done.then(
      () => {
        if (this.#stream === stream && this.#state === 'running') this.#logger.info('stream finished')
      },
      (err: Error) => {
        if (this.#stream === stream) this.#state = 'failed'
        this.#logger.error('stream failed', { error: err.message })
      },
    )
  }

  /** Stops the stream, draining in-flight messages within its shutdown_timeout (at most 10 s). */
  async stop(): Promise<void> {
    const stream = this.#stream
    if (stream === undefined) return
    this.#stream = undefined
    const timeout = Math.min(stream.shutdownTimeoutMs, maxStopMs)
    try {
      await stream.stop(timeout)
    } catch (err) {
      this.#state = 'failed'
      throw this.#fail(`stop: ${(err as Error).message}`, err)
    }
    this.#state = 'stopped'
    this.#logger.info('stream stopped')
  }
}
