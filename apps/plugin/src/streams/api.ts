// Bento's streams REST API over a StreamsManager, answering as `bento streams` does: the same
// paths, methods, status codes, content types and bodies (uptimes aside).
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  type Environment,
  parseComponentText,
  type ResourceKind,
  StreamExists,
  StreamNotFound,
  type StreamsManager,
  uptimeOf,
} from '@bento-ts/core'
import { isMap, isScalar, type Node, parseDocument, parse as parseYAML, stringify as toYAML } from 'yaml'
import { apiLint, isChilledProblem, readStreamConfig } from './config-text.ts'

export const streamsEndpoints: Record<string, string> = {
  '/ready':
    'Returns 200 OK if the inputs and outputs of all running streams are connected, otherwise a 503 is returned. If there are no active streams 200 is returned.',
  '/resources/{type}/{id}':
    'POST: Create or replace a given resource configuration of a specified type. Types supported are `cache`, `input`, `output`, `processor` and `rate_limit`.',
  '/streams/{id}/stats': 'GET a structured JSON object containing metrics for the stream.',
  '/streams/{id}':
    'Perform CRUD operations on streams, supporting POST (Create), GET (Read), PUT (Update), PATCH (Patch update) and DELETE (Delete).',
  '/streams':
    'GET: List all streams along with their status and uptimes. POST: Post an object of stream ids to stream configs, all streams will be replaced by this new set.',
}

/** Go's http.Error: plain text with a newline, no sniffing. */
function textError(res: ServerResponse, status: number, text: string): void {
  res
    .writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' })
    .end(`${text}\n`)
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

const ok = (res: ServerResponse): void => {
  res.writeHead(200, { 'content-length': '0' }).end()
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Go's json.Marshal of a map: keys sorted. */
const sortedObject = <T>(entries: [string, T][]): Record<string, T> =>
  Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/**
 * The text of one value in a YAML map (a stream of a `POST /streams` body) as a document of its
 * own that keeps the line numbers of the body, so lint problems point at the lines the user sent.
 */
export function subDocument(body: string, node: Node | null): string {
  if (node === null || node.range === undefined || node.range === null) return ''
  const [start, , end] = node.range
  const lineStart = body.lastIndexOf('\n', start - 1) + 1
  const indent = start - lineStart
  const before = body.slice(0, lineStart).split('\n').length - 1
  const block = body
    .slice(lineStart, end)
    .split('\n')
    .map((l) => (l.slice(0, indent).trim() === '' ? l.slice(indent) : l))
  return '\n'.repeat(before) + block.join('\n')
}

/** gabs MergeFn with "source wins": objects merge key by key, anything else is replaced. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
  if (!isObject(target) || !isObject(patch)) return patch
  const out: Record<string, unknown> = { ...target }
  for (const [k, v] of Object.entries(patch)) out[k] = k in out ? mergePatch(out[k], v) : v
  return out
}

function statsOf(manager: StreamsManager, id: string) {
  const stream = manager.get(id)!
  return stream.metrics.registry.getMetricsAsJSON().then((metrics) => {
    const values: [string, unknown][] = []
    for (const metric of metrics) {
      for (const v of metric.values) {
        const labels = Object.entries({ ...v.labels, stream: id })
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, l]) => `${k}=${JSON.stringify(String(l))}`)
          .join(',')
        const key = `${metric.name}{${labels}}`
        // Timings are kept as their last value; Bento reports percentiles of them.
        values.push([
          key,
          metric.name.endsWith('_ns') ? { p50: v.value, p90: v.value, p99: v.value } : v.value,
        ])
      }
    }
    values.push(['uptime_ns', Number(uptimeOf(stream).ns)])
    return sortedObject(values)
  })
}

const resourceKinds = new Set<ResourceKind>(['cache', 'input', 'output', 'processor', 'rate_limit'])

/** Handles an API request; false when the path is not the API's. */
export function streamsApi(
  manager: StreamsManager,
  env: Environment,
): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  const info = (id: string) => {
    const s = manager.get(id)!
    const up = uptimeOf(s)
    return { active: s.active, uptime: up.seconds, uptime_str: up.text }
  }

  const streamSet = async (req: IncomingMessage, res: ServerResponse, chilled: boolean) => {
    if (req.method === 'GET')
      return json(res, 200, sortedObject(manager.list().map((s) => [s.id, info(s.id)])))
    if (req.method !== 'POST') return textError(res, 400, 'Error: method not supported')
    const body = await bodyOf(req)
    const doc = parseDocument(body)
    if (doc.errors.length > 0) return textError(res, 400, `Error: ${doc.errors[0]!.message.split('\n')[0]}`)
    const read = new Map<string, Extract<ReturnType<typeof readStreamConfig>, { ok: true }>>()
    const lints: string[] = []
    for (const pair of isMap(doc.contents) ? doc.contents.items : []) {
      const id = String(isScalar(pair.key) ? pair.key.value : '')
      const result = readStreamConfig(subDocument(body, pair.value as Node | null), env, chilled)
      if (result.ok) read.set(id, result)
      else if ('lints' in result) lints.push(...result.lints.map((l) => `stream '${id}': ${l}`))
      else return textError(res, 400, `Error: ${result.error}`)
    }
    if (lints.length > 0) return json(res, 400, { lint_errors: lints })
    const errors: string[] = []
    const current = new Set(manager.list().map((s) => s.id))
    await Promise.all([
      ...[...current]
        .filter((id) => !read.has(id))
        .map((id) =>
          manager.delete(id).catch((e: Error) => errors.push(`failed to delete stream: ${e.message}`)),
        ),
      ...[...read].map(([id, r]) =>
        (current.has(id)
          ? manager.update(id, r.config, r.source)
          : manager.create(id, r.config, r.source)
        ).catch((e: Error) =>
          errors.push(`failed to ${current.has(id) ? 'update' : 'create'} stream: ${e.message}`),
        ),
      ),
    ])
    if (errors.length > 0) return textError(res, 400, `Error: ${errors.join('\n')}`)
    ok(res)
  }

  const oneStream = async (req: IncomingMessage, res: ServerResponse, id: string, chilled: boolean) => {
    const readBody = async () => {
      const result = readStreamConfig(await bodyOf(req), env, chilled)
      if (!result.ok) {
        if ('lints' in result) json(res, 400, { lint_errors: result.lints })
        else textError(res, 400, `Error: ${result.error}`)
        return undefined
      }
      return result
    }
    try {
      switch (req.method) {
        case 'POST': {
          const r = await readBody()
          if (r !== undefined) {
            await manager.create(id, r.config, r.source)
            ok(res)
          }
          return
        }
        case 'PUT': {
          const r = await readBody()
          if (r !== undefined) {
            await manager.update(id, r.config, r.source)
            ok(res)
          }
          return
        }
        case 'GET': {
          const s = manager.get(id)
          if (s === undefined) throw new StreamNotFound(id)
          return json(res, 200, { ...info(id), config: s.source })
        }
        case 'DELETE':
          await manager.delete(id)
          return ok(res)
        case 'PATCH': {
          const s = manager.get(id)
          if (s === undefined) throw new StreamNotFound(id)
          let patch: unknown
          try {
            patch = parseYAML(await bodyOf(req))
          } catch (err) {
            return textError(res, 400, `Error: ${(err as Error).message.split('\n')[0]}`)
          }
          const merged = mergePatch(s.source, patch)
          const r = readStreamConfig(toYAML(merged), env, true)
          if (!r.ok) return textError(res, 400, `Error: ${'lints' in r ? r.lints.join('\n') : r.error}`)
          await manager.update(id, r.config, merged)
          return ok(res)
        }
        default:
          return textError(res, 400, `Error: verb not supported: ${req.method}`)
      }
    } catch (err) {
      if (err instanceof StreamNotFound) return textError(res, 404, 'Stream not found')
      if (err instanceof StreamExists) return textError(res, 400, 'Stream already exists')
      return textError(res, 502, `Error: ${(err as Error).message}`)
    }
  }

  const resource = async (
    req: IncomingMessage,
    res: ServerResponse,
    kind: string,
    id: string,
    chilled: boolean,
  ) => {
    if (req.method !== 'POST') return textError(res, 400, `Error: verb not supported: ${req.method}`)
    if (!resourceKinds.has(kind as ResourceKind))
      return textError(
        res,
        400,
        'Var `type` must be set to one of `cache`, `input`, `output`, `processor` or `rate_limit`',
      )
    const { component, problems } = parseComponentText(kind as ResourceKind, await bodyOf(req), env, {
      skipEnvVarCheck: chilled,
    })
    const blocking = chilled ? problems.filter((p) => !isChilledProblem(p)) : problems
    if (blocking.length > 0 || component === undefined)
      return json(res, 400, { lint_errors: blocking.map(apiLint) })
    manager.setResource(kind as ResourceKind, { ...component, label: id })
    ok(res)
  }

  return (req, res, path) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const chilled = url.searchParams.get('chilled') === 'true'
    if (path === '/streams') {
      void streamSet(req, res, chilled)
      return true
    }
    let m = /^\/streams\/([^/]+)\/stats$/.exec(path)
    if (m !== null) {
      const id = decodeURIComponent(m[1]!)
      if (req.method !== 'GET') textError(res, 400, `Error: verb not supported: ${req.method}`)
      else if (manager.get(id) === undefined) textError(res, 404, 'Stream not found')
      else
        statsOf(manager, id).then(
          (stats) => json(res, 200, stats),
          (err: Error) => textError(res, 500, err.message),
        )
      return true
    }
    m = /^\/streams\/([^/]+)$/.exec(path)
    if (m !== null) {
      void oneStream(req, res, decodeURIComponent(m[1]!), chilled)
      return true
    }
    m = /^\/resources\/([^/]+)\/([^/]+)$/.exec(path)
    if (m !== null) {
      void resource(req, res, m[1]!, decodeURIComponent(m[2]!), chilled)
      return true
    }
    return false
  }
}
