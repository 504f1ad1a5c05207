import { offerCache } from './bloblang-caches.ts'
import {
  type AckFn,
  type Builder,
  type Cache,
  type ComponentContext,
  FieldError,
  type Input,
  type Output,
  type ParsedComponent,
  type Processor,
  type RateLimit,
  type Resources,
  wrapProcessor,
} from './component.ts'
import { onAbort } from './components/io/channel.ts'
import { type Environment, findPlugin } from './environment.ts'
import type { Logger } from './logger.ts'
import type { Batch } from './message.ts'
import type { Metrics } from './metrics.ts'
import { ackAfterAll, runProcessors } from './pipeline.ts'
import { type BatchPolicy, outputSink, type Sink } from './sink.ts'
import { type ComponentKind, referencesOf } from './spec.ts'
import { didYouMean } from './suggest.ts'

export interface ResourceConfigs {
  input_resources?: ParsedComponent[]
  processor_resources?: ParsedComponent[]
  output_resources?: ParsedComponent[]
  cache_resources?: ParsedComponent[]
  rate_limit_resources?: ParsedComponent[]
}

export interface Built {
  builder: Builder
  resources: Resources
  /** the sink behind an output built by this builder (the stream writes to it directly) */
  sinkOf(parsed: ParsedComponent): Promise<Sink>
  /** closes every resource that was built */
  close(): Promise<void>
}

const defaultMaxInFlight = 64

/** Turns parsed configs into live components, resources by label, nested components on demand. */
export function createBuilder(
  env: Environment,
  logger: Logger,
  metrics: Metrics,
  configs: ResourceConfigs,
): Built {
  const built = new Map<string, unknown>()
  const closers: (() => Promise<void>)[] = []
  const lifetime = new AbortController()

  const byLabel = (list: ParsedComponent[] | undefined) => new Map((list ?? []).map((c) => [c.label, c]))
  const declared = {
    input: byLabel(configs.input_resources),
    processor: byLabel(configs.processor_resources),
    output: byLabel(configs.output_resources),
    cache: byLabel(configs.cache_resources),
    rate_limit: byLabel(configs.rate_limit_resources),
  }

  const create = async <T>(kind: ComponentKind, parsed: ParsedComponent): Promise<T> => {
    const plugin = findPlugin(env, kind, parsed.type)
    if (plugin === undefined) throw new Error(`${parsed.path}: unknown ${kind} type "${parsed.type}"`)
    // A missing resource is a start error, never a batch that retries forever.
    for (const ref of referencesOf(plugin.spec, parsed.config, parsed.path)) {
      const known = [...declared[ref.kind].keys()]
      if (!known.includes(ref.label))
        throw new Error(
          `${ref.path}: ${ref.kind} resource "${ref.label}" is not declared${didYouMean(ref.label, known)}`,
        )
    }
    const label = parsed.label !== '' ? parsed.label : parsed.path
    const context: ComponentContext = {
      label,
      path: parsed.path,
      logger: logger.child({ label, path: parsed.path }),
      metrics,
      resources,
      build: builder,
      signal: lifetime.signal,
    }
    try {
      return (await plugin.create(parsed.config, context)) as T
    } catch (err) {
      // A FieldError names the field: the whole config path leads to it.
      if (err instanceof FieldError) {
        throw new Error(`${parsed.path}.${err.field}: ${err.message.slice(err.field.length + 2)}`, {
          cause: err,
        })
      }
      throw new Error(`${parsed.path}: ${(err as Error).message}`, { cause: err })
    }
  }

  const resource = <T>(kind: keyof typeof declared, label: string): T => {
    const key = `${kind}:${label}`
    const component = built.get(key)
    if (component === undefined) {
      const known = [...declared[kind].keys()]
      throw new Error(`${kind} resource "${label}" is not declared${didYouMean(label, known)}`)
    }
    return component as T
  }

  const resources: Resources = {
    cache: (label) => resource<Cache>('cache', label),
    rateLimit: (label) => resource<RateLimit>('rate_limit', label),
    processor: (label) => resource<Processor>('processor', label),
    input: (label) => resource<Input>('input', label),
    output: (label) => resource<Output>('output', label),
    hasCache: (label) => built.has(`cache:${label}`),
  }

  const sinkOf = async (parsed: ParsedComponent): Promise<Sink> => {
    const output = await create<Output>('output', parsed)
    // The output says its max_in_flight and batching itself (outputSkeleton does it from its config).
    const policy = output.batching
    let batching: BatchPolicy | undefined
    if (policy !== undefined) {
      const batchProcessors = policy.processors
      batching = {
        ...policy,
        processors: batchProcessors === undefined ? [] : await builder.processors(batchProcessors),
      }
    }
    const sink = outputSink({
      output,
      name: parsed.label !== '' ? parsed.label : parsed.type,
      maxInFlight: output.maxInFlight ?? defaultMaxInFlight,
      processors: await builder.processors(parsed.processors),
      ...(batching === undefined ? {} : { batching }),
      logger: logger.child({ label: parsed.label, path: parsed.path }),
      metrics,
    })
    return sink
  }

  const builder: Builder = {
    async input(parsed) {
      const input = await create<Input>('input', parsed)
      const processors = await builder.processors(parsed.processors)
      return processors.length === 0 ? input : withInputProcessors(input, processors)
    },
    async output(parsed) {
      return sinkAsOutput(await sinkOf(parsed))
    },
    processors: (parsed) =>
      Promise.all(
        parsed.map(async (p) =>
          withProcessorMetrics(
            await create<Processor>('processor', p),
            metrics,
            { label: p.label !== '' ? p.label : p.type, path: p.path },
            { label: p.label, path: bentoPath(p.path, p.type), type: p.type },
          ),
        ),
      ),
  }

  const buildResources = async (): Promise<void> => {
    // Caches and rate limits first: processors and outputs look them up when they are created.
    for (const kind of ['cache', 'rate_limit', 'processor', 'input', 'output'] as const) {
      for (const [label, parsed] of declared[kind]) {
        // A processor resource is a processor like any other: its metrics and the error source
        // it stamps on failed messages are its own (not those of the `resource` that calls it).
        const component =
          kind === 'output'
            ? await builder.output(parsed)
            : kind === 'input'
              ? await builder.input(parsed)
              : kind === 'processor'
                ? (await builder.processors([parsed]))[0]!
                : await create<{ close?(): Promise<void> }>(kind, parsed)
        built.set(`${kind}:${label}`, component)
        if (kind === 'cache') {
          const withdraw = offerCache(label, component as Cache)
          closers.push(async () => withdraw())
        }
        const closable = component as { close?(): Promise<void> }
        if (closable.close !== undefined) closers.push(() => closable.close!())
      }
    }
  }

  // Resources are built once, on first use, so declaring them costs nothing when unused.
  let ready: Promise<void> | undefined
  const whenReady = (): Promise<void> => {
    ready ??= buildResources()
    return ready
  }
  return {
    builder: {
      input: (p) => whenReady().then(() => builder.input(p)),
      output: (p) => whenReady().then(() => builder.output(p)),
      processors: (p) => whenReady().then(() => builder.processors(p)),
    },
    resources,
    sinkOf: (p) => whenReady().then(() => sinkOf(p)),
    async close() {
      lifetime.abort()
      await Promise.allSettled(closers.map((c) => c()))
    },
  }
}

/**
 * An output over a sink: a write resolves once the sink delivered the batch. The signal a write
 * gets is its caller's cancellation (a shutdown deadline): it cancels the sink's writes too, so a
 * parent output (broker, switch, …) never waits on a child that hangs.
 */
export function sinkAsOutput(sink: Sink): Output {
  return {
    connect: async () => {},
    write: (batch, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          sink.cancel()
          return reject(signal.reason)
        }
        const unsubscribe =
          signal === undefined
            ? () => {}
            : onAbort(signal, () => {
                sink.cancel()
                reject(signal.reason)
              })
        try {
          sink
            .push(batch, (error) => {
              unsubscribe()
              if (error === undefined) resolve()
              else reject(error)
            })
            ?.catch(reject)
        } catch (err) {
          reject(err)
        }
      }),
    close: async () => {
      await sink.flush()
      await sink.drained()
      await sink.close()
    },
    // The sink limits its own writes; callers may push as much as it accepts.
    maxInFlight: Number.MAX_SAFE_INTEGER,
  }
}

/** Runs an input's own processors on every batch it reads. */
function withInputProcessors(input: Input, processors: Processor[]): Input {
  // Input processors that split a batch (split, group_by…): each part travels on as a batch of
  // its own, as in the pipeline, and the read is acknowledged once every part was.
  const parts: { batch: Batch; ack: AckFn }[] = []
  return {
    connect: (signal) => input.connect(signal),
    close: () => input.close(),
    async read(signal) {
      for (;;) {
        const queued = parts.shift()
        if (queued !== undefined) return queued
        const read = await input.read(signal)
        const out = await runProcessors(processors, read.batch)
        if (out.length === 0) {
          await read.ack()
          continue
        }
        if (out.length === 1) return { batch: out[0]!, ack: read.ack }
        let acked: Promise<void> = Promise.resolve()
        const settle = ackAfterAll(out.length, (error) => {
          acked = read.ack(error)
        })
        const ack: AckFn = (error) => {
          settle(error)
          return acked
        }
        for (let i = 1; i < out.length; i++) parts.push({ batch: out[i]!, ack })
        return { batch: out[0]!, ack }
      }
    },
  }
}

/**
 * Bento's processor metrics: messages and batches in and out, messages newly flagged with an
 * error, and the latency of each call. A processor that answers synchronously stays synchronous.
 */
/**
 * A processor's path as Bento's error_source_path() gives it: without the trailing component
 * type, a switch case's processors under `switch.processors` (Bento drops the case index), and a
 * processor resource under `processor_resources` (Bento drops its index too).
 */
export const bentoPath = (path: string, type: string): string =>
  (path.endsWith(`.${type}`) ? path.slice(0, -type.length - 1) : path)
    .replace(/\.switch\.\d+\.processors\./g, '.switch.processors.')
    .replace(/^processor_resources\.\d+(?=\.|$)/, 'processor_resources')

export function withProcessorMetrics(
  processor: Processor,
  metrics: Metrics,
  labels: { label: string; path: string },
  source?: { label: string; path: string; type: string },
): Processor {
  const received = metrics.counter('processor_received', labels)
  const batchReceived = metrics.counter('processor_batch_received', labels)
  const sent = metrics.counter('processor_sent', labels)
  const batchSent = metrics.counter('processor_batch_sent', labels)
  const errors = metrics.counter('processor_error', labels)
  const latency = metrics.timing('processor_latency_ns', labels)
  const account = (flaggedBefore: number, started: bigint, out: Batch[]): Batch[] => {
    latency.observe(Number(process.hrtime.bigint() - started))
    let messages = 0
    let flagged = 0
    for (const b of out) {
      messages += b.length
      for (const m of b) {
        if (m.error === undefined) continue
        flagged++
        // the innermost processor that failed it names itself first; outer ones keep that
        if (source !== undefined && m.errorSource?.of !== m.error) m.errorSource = { ...source, of: m.error }
      }
    }
    sent.inc(messages)
    batchSent.inc(out.length)
    if (flagged > flaggedBefore) errors.inc(flagged - flaggedBefore)
    return out
  }
  const measured: Processor = {
    process(batch) {
      received.inc(batch.length)
      batchReceived.inc()
      let flaggedBefore = 0
      for (const m of batch) if (m.error !== undefined) flaggedBefore++
      const started = process.hrtime.bigint()
      const out = processor.process(batch)
      return out instanceof Promise
        ? out.then((o) => account(flaggedBefore, started, o))
        : account(flaggedBefore, started, out)
    },
    ...(processor.close === undefined ? {} : { close: () => processor.close!() }),
  }
  return wrapProcessor(measured, processor)
}
