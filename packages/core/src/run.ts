import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { createBuilder } from './build.ts'
import { ConfigError, type ConfigProblem, parseConfig } from './config.ts'
import { parseDuration } from './duration.ts'
import type { Environment } from './environment.ts'
import { createLogger, type Logger, type LoggerConfig } from './logger.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { type RunningStream, runStream } from './stream.ts'
import { type StreamConfig, streamFields } from './stream-config.ts'

export interface LoadOptions {
  file?: string
  vars?: Record<string, string | undefined>
}

/** Reads and checks a stream config; throws ConfigError listing every problem with its position. */
export function loadStreamConfig(text: string, env: Environment, options: LoadOptions = {}): StreamConfig {
  const { config, problems } = parseConfig(text, streamFields, env, options)
  if (problems.length > 0) throw new ConfigError(problems)
  return config as unknown as StreamConfig
}

export function lintStreamConfig(text: string, env: Environment, options: LoadOptions = {}): ConfigProblem[] {
  return parseConfig(text, streamFields, env, options).problems
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
  })
  const done = running.done.finally(() => built.close())
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
      await running.stop(timeoutMs)
      await done
    },
  }
}

/** Loads a config file and starts it. */
export async function startStreamFromFile(
  path: string,
  env: Environment,
  options: StartOptions & LoadOptions = {},
) {
  const config = loadStreamConfig(readFileSync(path, 'utf8'), env, { ...options, file: path })
  return startStream(config, env, options)
}
