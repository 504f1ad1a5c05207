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

/** Thrown by `Input.read` when the input has nothing more to give (a finished file, stdin closed). */
export class EndOfInput extends Error {
  constructor() {
    super('end of input')
    this.name = 'EndOfInput'
  }
}

/**
 * Thrown by `Input.read` when the input has run dry but still waits for deliveries it handed out
 * (to replay them if nacked): whoever holds a partial batch must send it now, or the wait never
 * ends. Reading again waits for those deliveries.
 */
export class InputDraining extends Error {
  constructor() {
    super('input ended; waiting for deliveries under way')
    this.name = 'InputDraining'
  }
}

/** Thrown by `connect`/`read`/`write` when the connection dropped; the runtime reconnects with backoff. */
export class NotConnected extends Error {
  constructor(message = 'not connected') {
    super(message)
    this.name = 'NotConnected'
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
}

/** Turns a batch into zero or more batches; flags failed messages with `message.error` instead of throwing. */
export interface Processor {
  process(batch: Batch): Promise<Batch[]> | Batch[]
  close?(): Promise<void>
}

export class KeyExists extends Error {
  constructor(key: string) {
    super(`key already exists: ${key}`)
    this.name = 'KeyExists'
  }
}

export class KeyNotFound extends Error {
  constructor(key: string) {
    super(`key does not exist: ${key}`)
    this.name = 'KeyNotFound'
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
