// Test doubles for processor unit tests: a context with stub resources, a builder that parses a
// processor config like a stream config would, and an in-memory cache and rate limit.

import {
  type Cache,
  type ComponentContext,
  KeyExists,
  KeyNotFound,
  type ParsedComponent,
  type Processor,
  type RateLimit,
  type Resources,
} from '../../component.ts'
import { parseComponentValue } from '../../config.ts'
import { type Environment, findPlugin } from '../../environment.ts'
import { type Logger, silentLogger } from '../../logger.ts'
import { type Batch, Message } from '../../message.ts'
import { createMetrics } from '../../metrics.ts'
import { standardEnvironment } from '../../standard.ts'

export interface TestResources {
  caches?: Record<string, Cache>
  rateLimits?: Record<string, RateLimit>
  processors?: Record<string, Processor>
  logger?: Logger
}

let env: Environment | undefined

/** A cache in a Map, with optional failures for error paths. */
export function memoryCache(): Cache & { store: Map<string, Uint8Array>; failWith?: Error } {
  const store = new Map<string, Uint8Array>()
  const cache = {
    store,
    failWith: undefined as Error | undefined,
    async get(key: string) {
      if (cache.failWith) throw cache.failWith
      const v = store.get(key)
      if (v === undefined) throw new KeyNotFound(key)
      return v
    },
    async set(key: string, value: Uint8Array) {
      if (cache.failWith) throw cache.failWith
      store.set(key, value)
    },
    async add(key: string, value: Uint8Array) {
      if (cache.failWith) throw cache.failWith
      if (store.has(key)) throw new KeyExists(key)
      store.set(key, value)
    },
    async delete(key: string) {
      if (cache.failWith) throw cache.failWith
      store.delete(key)
    },
  }
  return cache
}

/** A logger that records every line. */
export function recordingLogger(): Logger & {
  lines: { level: string; message: string; fields?: Record<string, unknown> }[]
} {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = []
  const make = (bound: Record<string, unknown>): Logger => {
    const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
      const all = { ...bound, ...fields }
      lines.push(Object.keys(all).length > 0 ? { level, message, fields: all } : { level, message })
    }
    return {
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (fields) => make({ ...bound, ...fields }),
    }
  }
  return Object.assign(make({}), { lines })
}

export function testContext(resources: TestResources = {}): ComponentContext {
  const lookup = <T>(kind: string, table: Record<string, T> | undefined, label: string): T => {
    const found = table?.[label]
    if (found === undefined) throw new Error(`${kind} resource "${label}" is not declared`)
    return found
  }
  const res: Resources = {
    cache: (label) => lookup('cache', resources.caches, label),
    rateLimit: (label) => lookup('rate_limit', resources.rateLimits, label),
    processor: (label) => lookup('processor', resources.processors, label),
    input: (label) => lookup('input', undefined, label),
    output: (label) => lookup('output', undefined, label),
    hasCache: (label) => resources.caches?.[label] !== undefined,
  }
  const context: ComponentContext = {
    label: 'test',
    path: 'test',
    logger: resources.logger ?? silentLogger,
    metrics: createMetrics(),
    signal: new AbortController().signal,
    resources: res,
    build: {
      input: () => Promise.reject(new Error('no inputs in processor tests')),
      output: () => Promise.reject(new Error('no outputs in processor tests')),
      processors: (parsed) => Promise.all(parsed.map((p) => create(p, context))),
    },
  }
  return context
}

async function create(parsed: ParsedComponent, context: ComponentContext): Promise<Processor> {
  env ??= standardEnvironment()
  const plugin = findPlugin(env, 'processor', parsed.type)
  if (plugin === undefined) throw new Error(`unknown processor ${parsed.type}`)
  return (await plugin.create(parsed.config, { ...context, path: parsed.path })) as Processor
}

/** Parses `{ type: config }` as a stream config would (defaults applied), then builds it. */
export async function buildProcessor(value: unknown, resources: TestResources = {}): Promise<Processor> {
  env ??= standardEnvironment()
  const { component, problems } = parseComponentValue('processor', value, env, 'test')
  if (problems.length > 0 || component === undefined) {
    throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('\n'))
  }
  return create(component, testContext(resources))
}

/** Config problems of `{ type: config }`, as messages. */
export function configProblems(value: unknown): string[] {
  env ??= standardEnvironment()
  return parseComponentValue('processor', value, env, 'test').problems.map((p) => p.message)
}

export const batchOf = (...contents: string[]): Batch => contents.map((c) => new Message(c))

export async function run(processor: Processor, batch: Batch): Promise<Batch[]> {
  return processor.process(batch)
}

export const texts = (batches: Batch[]): string[][] => batches.map((b) => b.map((m) => m.text()))
