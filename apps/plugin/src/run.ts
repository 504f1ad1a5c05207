// `run` (and a bare `-c config.yaml`) and `echo`: the main config file with the run flags applied.
import { readFileSync, watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import {
  ConfigError,
  type Environment,
  formatProblem,
  loadResources,
  parseConfig,
  type Stream,
  type StreamConfig,
  startStream,
  streamFields,
  withResources,
} from '@bento-ts/core'
import { parse as parseYAML } from 'yaml'
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

const launch = (prepared: PreparedConfig, env: Environment) =>
  startStream(prepared.config, env, {
    statusServer: true,
    statusExtras: { version, config: parseYAML(prepared.text) ?? {} },
  })

/** Runs a stream until its input ends or SIGINT/SIGTERM, then drains within shutdown_timeout. */
export async function runConfig(path: string, flags: RunFlags, env: Environment): Promise<number> {
  if (flags.watcher === true) return runWatched(path, flags, env)
  let stream: Stream
  try {
    stream = await launch(prepareConfig(path, flags, env), env)
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

/**
 * `-w`: the stream is replaced whenever its config file changes. The old stream drains first (its
 * messages delivered and acknowledged, or nacked for the input to deliver again), then the new one
 * starts; an edit with lint problems is logged and the running stream kept.
 */
async function runWatched(path: string, flags: RunFlags, env: Environment): Promise<number> {
  let prepared: PreparedConfig
  let stream: Stream
  try {
    prepared = prepareConfig(path, flags, env)
    stream = await launch(prepared, env)
  } catch (err) {
    process.stderr.write(
      `${err instanceof ConfigError ? 'Config lint error' : 'Failed to start the stream'}: ${(err as Error).message}\n`,
    )
    return 1
  }
  let lastText = readFileSync(path, 'utf8')
  let reloading = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  let swapping = false
  let stopped = false
  let finished = () => {}
  const ended = new Promise<void>((resolve) => {
    finished = resolve
  })
  // Done when the running stream ends (its input ended, or a signal) without being replaced.
  const follow = (s: Stream) =>
    s.done.finally(() => {
      if (s === stream && !swapping) finished()
    })
  follow(stream)
  const reload = async () => {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch {
      return // mid-save (renamed away): the next event brings the new file
    }
    if (text === lastText || stopped) return
    lastText = text
    let next: PreparedConfig
    try {
      next = prepareConfig(path, flags, env)
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems.map(formatProblem) : [(err as Error).message]
      for (const p of problems) stream.logger.error(`Config lint error, the running stream is kept: ${p}`)
      return
    }
    stream.logger.info('Config file changed, replacing the stream')
    swapping = true
    await stream.stop(stream.shutdownTimeoutMs)
    try {
      stream = await launch(next, env)
      prepared = next
    } catch (err) {
      stream.logger.error(
        `Failed to start the changed config, restarting the previous one: ${(err as Error).message}`,
      )
      stream = await launch(prepared, env)
    } finally {
      swapping = false
    }
    follow(stream)
  }
  // Editors save by writing in place or by renaming a new file over the old: watch the directory.
  const watcher = watch(dirname(path), (_event, name) => {
    if (name !== basename(path)) return
    clearTimeout(timer)
    timer = setTimeout(() => {
      reloading = reloading.then(reload)
    }, 100)
  })
  const stop = () => {
    if (stopped) process.exit(1)
    stopped = true
    stream.logger.info('Received stop signal, draining in-flight messages')
    void reloading.then(() => stream.stop(stream.shutdownTimeoutMs))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  await ended
  watcher.close()
  clearTimeout(timer)
  process.off('SIGINT', stop)
  process.off('SIGTERM', stop)
  return 0
}
