import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { createBuilder } from './build.ts'
import { ConfigError, type ConfigProblem, type LocatedReference, parseConfig } from './config.ts'
import { parseDuration } from './duration.ts'
import type { Environment } from './environment.ts'
import { type StatusServerExtras, startStatusServer } from './http-server.ts'
import { createLogger, type Logger, type LoggerConfig } from './logger.ts'
import type { Batch } from './message.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import type { ResourceKind } from './spec.ts'
import { type RunningStream, runStream } from './stream.ts'
import { type StreamConfig, streamFields } from './stream-config.ts'
import { didYouMean } from './suggest.ts'

export interface LoadOptions {
  file?: string
  vars?: Record<string, string | undefined>
  /** resources declared elsewhere (`-r` files) that the config may refer to */
  extraResources?: Partial<StreamConfig>[]
  /** see ParseOptions */
  skipEnvVarCheck?: boolean
  requireLabels?: boolean
  lintDeprecated?: boolean
}

const resourceLists: Record<ResourceKind, (typeof resourceKeys)[number]> = {
  input: 'input_resources',
  processor: 'processor_resources',
  output: 'output_resources',
  cache: 'cache_resources',
  rate_limit: 'rate_limit_resources',
}

/**
 * References to resources that neither the config nor the extra resources declare, as problems
 * where they are written: Bento refuses to start such a stream, so lint says so first.
 */
function unresolvedReferences(
  references: readonly LocatedReference[],
  declaredIn: readonly Partial<StreamConfig>[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  for (const { kind, label, ...at } of references) {
    const list = resourceLists[kind]
    const labels = declaredIn.flatMap((c) => (c[list] ?? []).map((r) => r.label))
    if (labels.includes(label)) continue
    problems.push({
      ...at,
      message: `${kind} resource "${label}" is not declared; add it to ${list}${didYouMean(label, labels)}`,
    })
  }
  return problems
}

function checkedStreamConfig(text: string, env: Environment, options: LoadOptions) {
  const { config, problems, references } = parseConfig(text, streamFields, env, options)
  const all =
    problems.length > 0
      ? problems
      : unresolvedReferences(references, [config as Partial<StreamConfig>, ...(options.extraResources ?? [])])
  return { config: config as unknown as StreamConfig, problems: all }
}

/** Reads and checks a stream config; throws ConfigError listing every problem with its position. */
export function loadStreamConfig(text: string, env: Environment, options: LoadOptions = {}): StreamConfig {
  const { config, problems } = checkedStreamConfig(text, env, options)
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}

export function lintStreamConfig(text: string, env: Environment, options: LoadOptions = {}): ConfigProblem[] {
  return checkedStreamConfig(text, env, options).problems
}

export interface Stream extends RunningStream {
  config: StreamConfig
  logger: Logger
  metrics: Metrics
  shutdownTimeoutMs: number
}

export interface StartOptions {
  logger?: Logger
  metrics?: Metrics
  /**
   * Serve the config's `http` block (/ping, /ready, /metrics). The CLI does; streams embedded in
   * another program (the workflow plugin runs many) leave the port to their host.
   */
  statusServer?: boolean
  /** what the status server answers beyond /ping, /ready and /metrics (/version, /endpoints, /debug) */
  statusExtras?: StatusServerExtras
  /** see StreamParts.onInputError */
  onInputError?: (error: Error) => void
  /** see StreamParts.onRead */
  onRead?: (batch: Batch) => void
}

const resourceKeys = [
  'input_resources',
  'processor_resources',
  'output_resources',
  'cache_resources',
  'rate_limit_resources',
] as const

/** Reads a resources file (`-r`): only the *_resources lists of a stream config. */
export function loadResources(
  text: string,
  env: Environment,
  options: LoadOptions = {},
): Partial<StreamConfig> {
  const fields = streamFields.filter((f) => (resourceKeys as readonly string[]).includes(f.name))
  const { config, problems } = parseConfig(text, fields, env, options)
  if (problems.length > 0) throw new ConfigError(problems)
  return config as Partial<StreamConfig>
}

/** Adds resources files to a config; a label declared twice is an error naming both places. */
export function withResources(config: StreamConfig, extra: Partial<StreamConfig>[]): StreamConfig {
  const merged = { ...config }
  for (const key of resourceKeys) {
    const all = [...config[key], ...extra.flatMap((r) => r[key] ?? [])]
    const seen = new Map<string, string>()
    for (const c of all) {
      const earlier = seen.get(c.label)
      if (earlier !== undefined)
        throw new Error(`${key}: label "${c.label}" is declared twice (${earlier} and ${c.path})`)
      seen.set(c.label, c.path)
    }
    merged[key] = all
  }
  return merged
}

/** Builds every component of a checked config and starts the stream. */
export async function startStream(
  config: StreamConfig,
  env: Environment,
  options: StartOptions = {},
): Promise<Stream> {
  const logger = options.logger ?? createLogger(config.logger as Partial<LoggerConfig>)
  const metrics = options.metrics ?? createMetrics()
  const built = createBuilder(env, logger, metrics, config)
  const input = await built.builder.input(config.input)
  const sink = await built.sinkOf(config.output)
  const processors = await built.builder.processors(config.pipeline.processors)
  const threads = config.pipeline.threads > 0 ? config.pipeline.threads : availableParallelism()
  const running = runStream({
    input,
    inputName: config.input.label !== '' ? config.input.label : config.input.type,
    processors,
    threads,
    sink,
    logger,
    metrics,
    ...(options.onInputError === undefined ? {} : { onInputError: options.onInputError }),
    ...(options.onRead === undefined ? {} : { onRead: options.onRead }),
    ...(config.error_handling?.strategy === 'reject'
      ? {
          rejectErrored: {
            log: config.error_handling.log.enabled,
            addPayload: config.error_handling.log.add_payload,
            samplingRatio: config.error_handling.log.sampling_ratio,
          },
        }
      : {}),
  })
  let ready = true
  const server =
    options.statusServer === true
      ? await startStatusServer(config.http, metrics, logger, () => ready, {
          config,
          ...options.statusExtras,
        })
      : undefined
  // Every part waiting on another (a deadlock) leaves Node's event loop empty, and Node would
  // exit 0 with what was read never delivered: a stream that cannot end must fail loudly.
  const stalled = () => {
    logger.error(
      `The stream stalled before its input was done: ${running.inFlight} transaction(s) read and never acknowledged, and nothing left that could deliver them`,
    )
    process.exitCode = 1
  }
  process.on('beforeExit', stalled)
  const done = running.done.finally(async () => {
    process.off('beforeExit', stalled)
    ready = false
    await built.close()
    await server?.close()
  })
  return {
    config,
    logger,
    metrics,
    shutdownTimeoutMs: parseDuration(config.shutdown_timeout),
    done,
    get inFlight() {
      return running.inFlight
    },
    stop: async (timeoutMs) => {
      ready = false
      await running.stop(timeoutMs)
      await done
    },
  }
}

/** Loads a config file and starts it. */
export async function startStreamFromFile(
  path: string,
  env: Environment,
  options: StartOptions & Omit<LoadOptions, 'extraResources'> & { resources?: string[] } = {},
) {
  const { resources: files, ...load } = options
  const extra = (files ?? []).map((file) => loadResources(readFileSync(file, 'utf8'), env, { ...load, file }))
  const config = loadStreamConfig(readFileSync(path, 'utf8'), env, {
    ...load,
    file: path,
    extraResources: extra,
  })
  return startStream(withResources(config, extra), env, options)
}
