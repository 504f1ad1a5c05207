// Many streams in one process, each started, replaced and stopped by id: Bento's streams mode. The
// CLI's `streams` command puts its REST API in front of this; an embedding program (the workflow
// plugin's broker) can drive it directly.
import type { ParsedComponent } from './component.ts'
import { goDuration } from './duration.ts'
import type { Environment } from './environment.ts'
import type { Logger } from './logger.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { type Stream, startStream } from './run.ts'
import type { StreamConfig } from './stream-config.ts'

export class StreamExists extends Error {
  override name = 'StreamExists'
}
export class StreamNotFound extends Error {
  override name = 'StreamNotFound'
}

export type ResourceKind = 'input' | 'processor' | 'output' | 'cache' | 'rate_limit'

export interface ManagedStream {
  readonly id: string
  /** the config as it was given (what GET /streams/{id} shows and PATCH merges into) */
  readonly source: unknown
  readonly config: StreamConfig
  readonly metrics: Metrics
  /** false once its input ended or it failed */
  readonly active: boolean
  readonly startedAt: bigint
}

export interface StreamsManager {
  list(): ManagedStream[]
  get(id: string): ManagedStream | undefined
  /** throws StreamExists */
  create(id: string, config: StreamConfig, source: unknown): Promise<void>
  /** replaces a stream: the old one drains within its shutdown_timeout first; throws StreamNotFound */
  update(id: string, config: StreamConfig, source: unknown): Promise<void>
  /** throws StreamNotFound */
  delete(id: string): Promise<void>
  /** a resource every stream created from now on can use (a stream's own label wins) */
  setResource(kind: ResourceKind, component: ParsedComponent): void
  /** stops every stream, each within its shutdown_timeout */
  stopAll(): Promise<void>
}

interface Entry extends ManagedStream {
  stream: Stream
  active: boolean
}

const resourceKey = (kind: ResourceKind) => `${kind}_resources` as const

export function createStreamsManager(
  env: Environment,
  options: {
    logger: Logger
    onStreamError?: (id: string, error: Error) => void
    /** each time a stream (re)starts: the CLI lists its `/{id}/ready` endpoint from then on, as Bento does */
    onStreamStarted?: (id: string) => void
  },
): StreamsManager {
  const streams = new Map<string, Entry>()
  const shared = new Map<ResourceKind, Map<string, ParsedComponent>>()

  const withShared = (config: StreamConfig): StreamConfig => {
    const merged = { ...config }
    for (const [kind, byLabel] of shared) {
      const key = resourceKey(kind)
      const own = new Set(config[key].map((c) => c.label))
      merged[key] = [...config[key], ...[...byLabel.values()].filter((c) => !own.has(c.label))]
    }
    return merged
  }

  const start = async (id: string, config: StreamConfig, source: unknown): Promise<Entry> => {
    const metrics = createMetrics()
    const stream = await startStream(withShared(config), env, {
      logger: options.logger.child({ stream: id }),
      metrics,
    })
    const entry: Entry = {
      id,
      source,
      config,
      metrics,
      stream,
      active: true,
      startedAt: process.hrtime.bigint(),
    }
    options.onStreamStarted?.(id)
    stream.done.then(
      () => {
        entry.active = false
      },
      (err: Error) => {
        entry.active = false
        options.onStreamError?.(id, err)
      },
    )
    return entry
  }

  const stop = async (entry: Entry) => {
    await entry.stream.stop(entry.stream.shutdownTimeoutMs).catch(() => {})
    entry.active = false
  }

  return {
    list: () => [...streams.values()],
    get: (id) => streams.get(id),
    async create(id, config, source) {
      if (streams.has(id)) throw new StreamExists(`stream ${id} already exists`)
      // reserve the id while it starts, so two creates of one id cannot both win
      streams.set(id, undefined as never)
      try {
        streams.set(id, await start(id, config, source))
      } catch (err) {
        streams.delete(id)
        throw err
      }
    },
    async update(id, config, source) {
      const old = streams.get(id)
      if (old === undefined) throw new StreamNotFound(`stream ${id} does not exist`)
      await stop(old)
      streams.set(id, await start(id, config, source))
    },
    async delete(id) {
      const entry = streams.get(id)
      if (entry === undefined) throw new StreamNotFound(`stream ${id} does not exist`)
      streams.delete(id)
      await stop(entry)
    },
    setResource(kind, component) {
      let byLabel = shared.get(kind)
      if (byLabel === undefined) {
        byLabel = new Map()
        shared.set(kind, byLabel)
      }
      byLabel.set(component.label, component)
    },
    async stopAll() {
      await Promise.all([...streams.values()].filter((e) => e !== undefined).map(stop))
    },
  }
}

/** Seconds and Go's Duration.String() of how long a stream has run, as Bento's API reports them. */
export function uptimeOf(stream: ManagedStream): { seconds: number; text: string; ns: bigint } {
  const ns = process.hrtime.bigint() - stream.startedAt
  return { seconds: Number(ns) / 1e9, text: goDuration(Number(ns) / 1e6), ns }
}
