import type { Logger } from './logger.ts'
import type { Batch, Message } from './message.ts'
import type { Metrics } from './metrics.ts'
import type { ComponentKind, ComponentSpec } from './spec.ts'

/**
 * Acknowledges a batch to where it came from: without an error once every output it reached has
 * succeeded (the input may then forget it), with one when it could not be delivered (the input
 * redelivers it by its own rules).
 */
export type AckFn = (error?: Error) => Promise<void>

/**
 * The runtime's errors are recognised by a global brand, not by their class alone: a program
 * that ends up with two copies of @bento-ts/core (a connector resolved against another version)
 * still tells a NotConnected from any other error, so `instanceof` never fails silently.
 */
const errorBrand = Symbol.for('@bento-ts/core:error')
const brand = (error: Error, name: string): void => {
  Object.defineProperty(error, errorBrand, { value: name })
}
const isBranded = (value: unknown, name: string): boolean =>
  typeof value === 'object' && value !== null && (value as { [errorBrand]?: string })[errorBrand] === name

/** Thrown by `Input.read` when the input has nothing more to give (a finished file, stdin closed). */
export class EndOfInput extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'EndOfInput')
  }
  constructor() {
    super('end of input')
    this.name = 'EndOfInput'
    brand(this, 'EndOfInput')
  }
}

/**
 * Thrown by `Input.read` when the input has run dry but still waits for deliveries it handed out
 * (to replay them if nacked): whoever holds a partial batch must send it now, or the wait never
 * ends. Reading again waits for those deliveries.
 */
export class InputDraining extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'InputDraining')
  }
  constructor() {
    super('input ended; waiting for deliveries under way')
    this.name = 'InputDraining'
    brand(this, 'InputDraining')
  }
}

/** Thrown by `connect`/`read`/`write` when the connection dropped; the runtime reconnects with backoff. */
export class NotConnected extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'NotConnected')
  }
  constructor(message = 'not connected') {
    super(message)
    this.name = 'NotConnected'
    brand(this, 'NotConnected')
  }
}

/**
 * Thrown by an output's `write` when only some messages of the batch failed: the others were
 * delivered and must not be sent again. The runtime narrows it to each transaction the batch
 * came from, so only the transactions (and, where it can tell, the messages) that failed are
 * nacked and retried.
 */
export class BatchError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'BatchError')
  }
  /** the failed messages (the very objects the output was given) and why each failed */
  readonly failures: ReadonlyMap<Message, Error>
  constructor(batch: Batch, failures: Iterable<readonly [index: number, error: Error]>, message?: string) {
    const byMessage = new Map<Message, Error>()
    for (const [index, error] of failures) {
      const m = batch[index]
      if (m === undefined)
        throw new RangeError(`BatchError: index ${index} is outside a batch of ${batch.length}`)
      byMessage.set(m, error)
    }
    const first = byMessage.values().next().value
    super(
      message ??
        `${byMessage.size} of ${batch.length} messages failed${first === undefined ? '' : `: ${first.message}`}`,
    )
    this.name = 'BatchError'
    brand(this, 'BatchError')
    this.failures = byMessage
  }

  /**
   * This error divided over the batches its messages came from: per part, the error of its failed
   * messages, or undefined when all of them were delivered. Null when some failed message is in
   * none of the parts (a processor replaced the messages): then nobody can tell who succeeded,
   * and every part must take the whole error.
   */
  splitOver(parts: readonly Batch[]): (BatchError | undefined)[] | null {
    let found = 0
    const out = parts.map((part) => {
      const indexes: [number, Error][] = []
      for (let i = 0; i < part.length; i++) {
        const e = this.failures.get(part[i]!)
        if (e !== undefined) indexes.push([i, e])
      }
      found += indexes.length
      return indexes.length === 0 ? undefined : new BatchError(part, indexes)
    })
    return found === this.failures.size ? out : null
  }
}

/**
 * Two failures of one transaction as one: the failed messages of both when both name them, else
 * a failure of the whole (keeping only the first BatchError would lose the other's messages).
 */
export function combineErrors(a: Error | undefined, b: Error | undefined): Error | undefined {
  if (a === undefined) return b
  if (b === undefined || a === b) return a
  if (a instanceof BatchError && b instanceof BatchError) {
    const failures = new Map(a.failures)
    for (const [m, e] of b.failures) failures.set(m, e)
    const batch = [...failures.keys()]
    return new BatchError(
      batch,
      batch.map((m, i) => [i, failures.get(m)!] as const),
      `${a.message}; ${b.message}`,
    )
  }
  return a instanceof BatchError ? new Error(b.message, { cause: b }) : a
}

/**
 * A config value the component cannot work with (a malformed URL, two fields that exclude each
 * other): the stream fails to start, and the error names the field's config path.
 */
export class FieldError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'FieldError')
  }
  /** the field's path inside the component's config: `url`, `tls.root_cas_file`, `headers.X-Id` */
  readonly field: string
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(`${field}: ${message}`, options)
    this.name = 'FieldError'
    brand(this, 'FieldError')
    this.field = field
  }
}

/**
 * The value `parse` makes of a config field; whatever it throws becomes a FieldError naming the
 * field (a FieldError about a part of it is named inside it: `backoff.max_interval`).
 */
export function parseField<T>(field: string, parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (err instanceof FieldError)
      throw new FieldError(`${field}.${err.field}`, err.message.slice(err.field.length + 2), { cause: err })
    throw new FieldError(field, (err as Error).message, { cause: err })
  }
}

export interface Input {
  connect(signal: AbortSignal): Promise<void>
  /** Waits for the next batch; throws EndOfInput when done, NotConnected when the link broke. */
  read(signal: AbortSignal): Promise<{ batch: Batch; ack: AckFn }>
  close(): Promise<void>
}

export interface Output {
  connect(signal: AbortSignal): Promise<void>
  /** Resolves once the whole batch is delivered; rejects when any of it was not. */
  write(batch: Batch, signal: AbortSignal): Promise<void>
  close(): Promise<void>
  /** how many writes may be outstanding at once (Bento's max_in_flight) */
  readonly maxInFlight?: number
  /** the output's `batching` policy: the runtime groups messages by it before `write` */
  readonly batching?: BatchingPolicyConfig
}

/** A `batching` block as parsed (its `processors` not built yet). */
export interface BatchingPolicyConfig {
  count: number
  byte_size: number
  period: string
  jitter?: number
  check: string
  processors?: ParsedComponent[]
}

/** Turns a batch into zero or more batches; flags failed messages with `message.error` instead of throwing. */
export interface Processor {
  process(batch: Batch): Promise<Batch[]> | Batch[]
  close?(): Promise<void>
}

const wrapped = new WeakMap<Processor, Processor>()

/** Records that `outer` only wraps `inner` (metrics, error sources), so `unwrapProcessor` finds it. */
export function wrapProcessor<P extends Processor>(outer: P, inner: Processor): P {
  wrapped.set(outer, inner)
  return outer
}

/**
 * The processor a wrapper stands for: a workflow needs to know whether a processor resource is a
 * `branch`, whose parts it runs itself, and resources come wrapped in their metrics.
 */
export function unwrapProcessor(processor: Processor): Processor {
  let current = processor
  for (let inner = wrapped.get(current); inner !== undefined; inner = wrapped.get(current)) current = inner
  return current
}

export class KeyExists extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'KeyExists')
  }
  constructor(key: string) {
    super(`key already exists: ${key}`)
    this.name = 'KeyExists'
    brand(this, 'KeyExists')
  }
}

export class KeyNotFound extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'KeyNotFound')
  }
  constructor(key: string) {
    super(`key does not exist: ${key}`)
    this.name = 'KeyNotFound'
    brand(this, 'KeyNotFound')
  }
}

export interface Cache {
  /** throws KeyNotFound */
  get(key: string): Promise<Uint8Array>
  set(key: string, value: Uint8Array, ttlMs?: number): Promise<void>
  /** throws KeyExists */
  add(key: string, value: Uint8Array, ttlMs?: number): Promise<void>
  delete(key: string): Promise<void>
  close?(): Promise<void>
  /**
   * The same cache answering at once, for caches held in memory: Bloblang's `cache_*` functions
   * run synchronously and can only use a cache that has it.
   */
  readonly now?: ImmediateCache
}

/** A cache's synchronous face: `get` gives undefined for a missing key, `add` false for a taken one. */
export interface ImmediateCache {
  get(key: string): Uint8Array | undefined
  set(key: string, value: Uint8Array, ttlMs?: number): void
  add(key: string, value: Uint8Array, ttlMs?: number): boolean
  delete(key: string): void
}

export interface RateLimit {
  /** 0 when the caller may go now, otherwise how many milliseconds to wait before asking again */
  access(signal?: AbortSignal): Promise<number>
  close?(): Promise<void>
}

export type ComponentOf<K extends ComponentKind> = K extends 'input'
  ? Input
  : K extends 'output'
    ? Output
    : K extends 'processor'
      ? Processor
      : K extends 'cache'
        ? Cache
        : K extends 'rate_limit'
          ? RateLimit
          : never

/** What a component's constructor gets besides its own config. */
export interface ComponentContext {
  /** the component's label, or its path in the config when it has none */
  label: string
  /** its config path, for errors: `pipeline.processors.2` */
  path: string
  logger: Logger
  metrics: Metrics
  resources: Resources
  /** builds nested components (processors of a `catch`, outputs of a `broker`, …) */
  build: Builder
  /** aborted when the component's stream (or the program holding the resources) shuts down */
  signal: AbortSignal
}

export interface Resources {
  cache(label: string): Cache
  rateLimit(label: string): RateLimit
  processor(label: string): Processor
  input(label: string): Input
  output(label: string): Output
  hasCache(label: string): boolean
}

export interface ParsedComponent {
  type: string
  label: string
  /** the component's own config, defaults applied */
  config: unknown
  /** inputs and outputs: processors run right after reading / right before writing */
  processors: ParsedComponent[]
  path: string
}

export interface Builder {
  input(parsed: ParsedComponent): Promise<Input>
  output(parsed: ParsedComponent): Promise<Output>
  processors(parsed: readonly ParsedComponent[]): Promise<Processor[]>
}

export interface Plugin<K extends ComponentKind = ComponentKind> {
  spec: ComponentSpec & { kind: K }
  // biome-ignore lint/suspicious/noExplicitAny: a plugin's config type is its spec's business
  create(config: any, context: ComponentContext): ComponentOf<K> | Promise<ComponentOf<K>>
}

export type { Message }
