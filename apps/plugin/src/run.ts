// `run` (and a bare `-c config.yaml`) and `echo`: the main config file with the run flags applied.
import { readFileSync } from 'node:fs'
import {
  ConfigError,
  type Environment,
  formatProblem,
  loadResources,
  parseConfig,
  type StreamConfig,
  startStream,
  streamFields,
  substituteEnv,
  withResources,
} from '@bento-ts/core'
import { parse as parseYAML, stringify as toYAML } from 'yaml'
import { expandPaths } from './paths.ts'
import { applySets, loadEnvFiles, type RunFlags } from './run-flags.ts'
import { isChilledProblem } from './streams/config-text.ts'
import { version } from './version.ts'

export interface PreparedConfig {
  path: string
  /** the text after variables and --set, as it is loaded */
  text: string
  config: StreamConfig
}

/** Reads the main config with every flag applied; throws ConfigError with positions. */
export function prepareConfig(path: string, flags: RunFlags, env: Environment): PreparedConfig {
  loadEnvFiles(flags.envFile ?? [])
  const text = applySets(readFileSync(path, 'utf8'), flags.set ?? [], flags['log.level'])
  const { config, problems } = parseConfig(text, streamFields, env, { file: path })
  const blocking = flags.chilled === true ? problems.filter((p) => !isChilledProblem(p)) : problems
  if (blocking.length > 0) throw new ConfigError(blocking)
  const extra = expandPaths(flags.resources ?? []).map((file) =>
    loadResources(readFileSync(file, 'utf8'), env, { file }),
  )
  return { path, text, config: withResources(config as unknown as StreamConfig, extra) }
}

/** Runs a stream until its input ends or SIGINT/SIGTERM, then drains within shutdown_timeout. */
export async function runConfig(path: string, flags: RunFlags, env: Environment): Promise<number> {
  let stream: Awaited<ReturnType<typeof startStream>>
  try {
    const prepared = prepareConfig(path, flags, env)
    stream = await startStream(prepared.config, env, {
      statusServer: true,
      statusExtras: { version, config: parseYAML(prepared.text) ?? {} },
    })
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Config lint error: ${err.message}\n`)
      return 1
    }
    process.stderr.write(`Failed to start the stream: ${(err as Error).message}\n`)
    return 1
  }
  let signalled = false
  const stop = () => {
    if (signalled) {
      // A second signal: the user does not want to wait for the drain.
      process.exit(1)
    }
    signalled = true
    stream.logger.info('Received stop signal, draining in-flight messages')
    void stream.stop(stream.shutdownTimeoutMs)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  await stream.done
  process.off('SIGINT', stop)
  process.off('SIGTERM', stop)
  return 0
}

/** `echo`: the config as it would run (variables resolved, --set applied), as YAML. */
export function echoConfig(path: string, flags: RunFlags, env: Environment): number {
  try {
    const { text } = prepareConfig(path, flags, env)
    process.stdout.write(`${toYAML(parseYAML(substituteEnv(text, process.env).text) ?? {})}\n`)
    return 0
  } catch (err) {
    process.stderr.write(
      `Configuration file read error: ${err instanceof ConfigError ? err.problems.map(formatProblem).join('\n') : (err as Error).message}\n`,
    )
    return 1
  }
}
