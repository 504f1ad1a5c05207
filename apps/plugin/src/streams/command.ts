// `streams [paths...]`: every stream config under the paths runs in this process, named by its
// file (`dir/a/b.yaml` → `a_b`), managed over Bento's REST API unless --no-api. The root config
// (`-c`) gives the HTTP server, the logger and resources every stream shares; its input, pipeline
// and output are ignored, as Bento does.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, relative } from 'node:path'
import {
  createMetrics,
  createStreamsManager,
  type Environment,
  type Logger,
  loadResources,
  loadStreamConfig,
  type ResourceKind,
  type StreamConfig,
  startStatusServer,
} from '@bento-ts/core'
import { version } from '../version.ts'
import { streamsApi, streamsEndpoints } from './api.ts'
import { readStreamConfig } from './config-text.ts'

export interface StreamsOptions {
  rootConfig?: string
  resources: readonly string[]
  noApi: boolean
  chilled: boolean
  logger: (config: Record<string, unknown>) => Logger
}

/** Bento's stream ids: the path below the directory given (or the file name), `/` → `_`, no .yaml. */
export function streamFiles(paths: readonly string[]): { id: string; path: string }[] {
  const out: { id: string; path: string }[] = []
  const idOf = (p: string) =>
    p
      .replace(/^\/+|\/+$/g, '')
      .replace(/\.ya?ml$/, '')
      .replaceAll('/', '_')
  const walk = (dir: string, root: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path, root)
      else if (['.yaml', '.yml'].includes(extname(entry.name)))
        out.push({ id: idOf(relative(root, path)), path })
    }
  }
  for (const p of paths) {
    if (statSync(p).isDirectory()) walk(p, p)
    else out.push({ id: idOf(p.split('/').at(-1)!), path: p })
  }
  return out
}

export async function runStreams(
  paths: readonly string[],
  env: Environment,
  options: StreamsOptions,
): Promise<number> {
  let root: StreamConfig
  try {
    root =
      options.rootConfig === undefined
        ? loadStreamConfig('{}', env)
        : loadStreamConfig(readFileSync(options.rootConfig, 'utf8'), env, { file: options.rootConfig })
  } catch (err) {
    process.stderr.write(`Config lint error: ${(err as Error).message}\n`)
    return 1
  }
  const logger = options.logger(root.logger)
  const announced = new Set<string>()
  const manager = createStreamsManager(env, {
    logger,
    onStreamStarted: (id) => announced.add(id),
    onStreamError: (id, err) => logger.error(`Stream ${id} failed: ${err.message}`),
  })
  // Resources of the root config and of -r files are shared by every stream.
  const shared = [
    root,
    ...options.resources.map((f) => loadResources(readFileSync(f, 'utf8'), env, { file: f })),
  ]
  for (const r of shared) {
    for (const kind of ['input', 'processor', 'output', 'cache', 'rate_limit'] as ResourceKind[]) {
      for (const c of r[`${kind}_resources`] ?? []) manager.setResource(kind, c)
    }
  }

  let files: { id: string; path: string }[]
  try {
    files = streamFiles(paths)
  } catch (err) {
    process.stderr.write(`Stream configuration file read error: ${(err as Error).message}\n`)
    return 1
  }
  const seen = new Set<string>()
  for (const { id, path } of files) {
    if (seen.has(id)) {
      process.stderr.write(
        `Stream configuration file read error: stream id (${id}) collision from file: ${path}\n`,
      )
      return 1
    }
    seen.add(id)
    const result = readStreamConfig(readFileSync(path, 'utf8'), env, options.chilled, path)
    if (!result.ok) {
      if ('lints' in result) for (const l of result.lints) logger.error(`Config lint error: ${path}: ${l}`)
      else process.stderr.write(`Stream configuration file read error: ${path}: ${result.error}\n`)
      logger.error('Shutting down due to linter errors, to prevent shutdown run with --chilled')
      await manager.stopAll()
      return 1
    }
    try {
      await manager.create(id, result.config, result.source)
    } catch (err) {
      logger.error(`Failed to create stream (${id}): ${(err as Error).message}`)
      await manager.stopAll()
      return 1
    }
  }
  logger.info(`Launching bento in streams mode, use CTRL+C to close`)

  const api = options.noApi ? undefined : streamsApi(manager, env)
  const server = await startStatusServer(root.http, createMetrics(), logger, () => true, {
    version,
    config: root,
    endpoints: () => ({
      ...(options.noApi ? { '/ready': streamsEndpoints['/ready']! } : streamsEndpoints),
      ...Object.fromEntries(
        [...announced].map((id) => [
          `/${id}/ready`,
          'Returns 200 OK if all inputs and outputs are connected, otherwise a 503 is returned.',
        ]),
      ),
    }),
    handle: (req, res, path) => {
      if (path === '/ready') {
        // every running stream connected (ours are connected once running)
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('OK')
        return true
      }
      const ready = /^\/([^/]+)\/ready$/.exec(path)
      if (ready !== null && manager.get(ready[1]!) !== undefined) {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('OK')
        return true
      }
      return api?.(req, res, path) ?? false
    },
  })

  await new Promise<void>((resolve) => {
    let signalled = false
    const stop = () => {
      if (signalled) process.exit(1)
      signalled = true
      logger.info('Received stop signal, draining in-flight messages')
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await manager.stopAll()
  await server?.close()
  return 0
}
