// What the module types and the bento trigger share: message conversions, config checks, and a
// Bento stream owned by a module (never by an RPC).
import {
  ConfigError,
  type Environment,
  type Logger,
  loadStreamConfig,
  type Message,
  type Stream,
  type StreamConfig,
  startStream,
} from '@bento-ts/core'
import type { JsonObject, JsonValue } from '@bufbuild/protobuf'
import { stringify } from 'yaml'
import { addMetadataSecrets } from './bridge/secrets.ts'
import { createPluginLogger } from './log.ts'
import { ProcessorConfigError, processorList } from './processors.ts'

/** The error text of anything thrown, gRPC errors by their details. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const details = (err as { details?: unknown }).details
    return typeof details === 'string' && details !== '' ? details : err.message
  }
  return String(err)
}

/** Every metadata entry as a string (what PublishMessage and DeliverMessage carry). */
export function metadataOf(message: Message): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of message.metadata.keys()) out[key] = message.metaString(key) ?? ''
  return out
}

/** `{"body": <payload as JSON, or its text>, "metadata": {…}}`: the trigger data of a message. */
export function messageToMap(message: Message): JsonObject {
  const text = message.text()
  let body: JsonValue = text
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text) as JsonValue
    } catch {}
  }
  return { body, metadata: metadataOf(message) }
}

/** Drops keys the host adds for itself (`_config_dir`, …): they are not Bento config. */
export function withoutInternalKeys(config: JsonObject | undefined): JsonObject {
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(config ?? {})) if (!key.startsWith('_')) out[key] = value
  return out
}

export const isMap = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * The `pipeline` of a module's stream from its config: a Bento `pipeline` object, or `processors`
 * in any of step.bento's forms (a YAML string, a map, a list). Not both.
 */
export function pipelineOf(config: JsonObject, field = 'processors'): JsonObject | undefined {
  const processors = config[field]
  const pipeline = config.pipeline
  const hasProcessors = processors !== undefined && processors !== null
  if (pipeline !== undefined && pipeline !== null) {
    if (hasProcessors) throw new Error(`use either pipeline or ${field}, not both`)
    if (!isMap(pipeline)) throw new Error('pipeline must be a map')
    return pipeline
  }
  if (!hasProcessors) return undefined
  return { processors: processorList(processors, field) as JsonValue[] }
}

/** Checks a stream config built by a module; problems are reported by their config path. */
export function checkStream(config: JsonObject, env: Environment): StreamConfig {
  try {
    return loadStreamConfig(stringify(config), env)
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ProcessorConfigError) {
      throw new Error(
        err.problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('; '),
      )
    }
    throw err
  }
}

/** The longest a Stop waits for in-flight messages before cancelling them. */
export const maxStopMs = 10_000

/** How often a stream that keeps failing is reported again (the first failure is reported at once). */
export const failureReportIntervalMs = 30_000

/**
 * A Bento stream run for a module: started by `start`, drained by `stop` within its
 * `shutdown_timeout` (at most 10 s). `onFailure` hears of a stream that failed by itself, or whose
 * input cannot connect or read (the stream keeps retrying): at once, then at most every 30 s.
 */
export class ModuleStream {
  readonly #logger: Logger
  readonly #fields: Record<string, string>
  readonly #onFailure: ((err: Error) => void) | undefined
  readonly #now: () => number
  #stream: Stream | undefined
  #lastReport = Number.NEGATIVE_INFINITY

  constructor(
    logger: Logger,
    fields: Record<string, string>,
    onFailure?: (err: Error) => void,
    now: () => number = Date.now,
  ) {
    this.#logger = logger
    this.#fields = fields
    this.#onFailure = onFailure
    this.#now = now
  }

  #report(err: Error, always: boolean): void {
    if (this.#onFailure === undefined) return
    const now = this.#now()
    if (!always && now - this.#lastReport < failureReportIntervalMs) return
    this.#lastReport = now
    this.#onFailure(err)
  }

  get running(): boolean {
    return this.#stream !== undefined
  }

  async start(config: StreamConfig, env: Environment): Promise<void> {
    if (this.#stream !== undefined) return
    const level = typeof config.logger?.level === 'string' ? config.logger.level : 'info'
    const stream = await startStream(config, env, {
      logger: createPluginLogger({ level, fields: this.#fields }),
      onInputError: (err) => this.#report(err, false),
      // credentials in what the input read are masked from the first log line on
      onRead: (batch) => {
        for (const message of batch) if (message.metadata.size > 0) addMetadataSecrets(message.metadata)
      },
    })
    this.#stream = stream
    stream.done.then(
      () => {
        if (this.#stream === stream) this.#logger.info('stream finished')
      },
      (err: Error) => {
        if (this.#stream !== stream) return
        this.#logger.error('stream failed', { error: err.message })
        this.#report(err, true)
      },
    )
  }

  async stop(): Promise<void> {
    const stream = this.#stream
    if (stream === undefined) return
    this.#stream = undefined
    await stream.stop(Math.min(stream.shutdownTimeoutMs, maxStopMs))
  }
}

/** Logs at warn at most once per `everyMs`, counting what it held back. */
export function throttledWarn(logger: Logger, everyMs = 5000) {
  let last = 0
  let held = 0
  return (message: string, fields: Record<string, unknown>) => {
    const now = Date.now()
    if (now - last < everyMs) {
      held++
      return
    }
    logger.warn(message, held > 0 ? { ...fields, repeated: held } : fields)
    last = now
    held = 0
  }
}
