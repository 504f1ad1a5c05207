// Shared pieces of the standard processors: bridging messages to the Bloblang engine, Bento's
// query semantics, interpolated fields rendered per message, and running child processors.

import {
  DELETE,
  type Executor,
  type Interpolation,
  type MessageInput,
  NOTHING,
  parseInterpolation,
  parseJSON,
  toStringValue,
  typeOf,
  type Value,
} from '@bento-ts/bloblang'
import type { Processor } from '../../component.ts'
import { parseDuration } from '../../duration.ts'
import { type Batch, Message } from '../../message.ts'
import { runProcessors } from '../../pipeline.ts'

const decoder = new TextDecoder()

/** A message as the Bloblang engine reads it. */
/** The one place a Message becomes what the Bloblang engine reads. */
export const toInput = (message: Message): MessageInput => ({
  content: message.content(),
  metadata: message.metadata,
  error: message.error?.message ?? null,
  errorSource:
    message.error !== undefined && message.errorSource?.of === message.error ? message.errorSource : null,
})

/**
 * A batch seen by the engine: the inputs are built once per batch, on first use, so per-message
 * interpolations and queries do not rebuild them.
 */
export class BatchView {
  readonly batch: Batch
  #inputs: MessageInput[] | undefined
  constructor(batch: Batch) {
    this.batch = batch
  }
  get inputs(): MessageInput[] {
    this.#inputs ??= this.batch.map(toInput)
    return this.#inputs
  }
  input(index: number): MessageInput {
    return this.inputs[index]!
  }
  /** the engine's batch options for message `index` (none for a batch of one) */
  options(index: number): { batch?: MessageInput[]; index?: number } {
    return this.batch.length > 1 ? { batch: this.inputs, index } : {}
  }
}

/** An interpolated config field, parsed once; static strings cost nothing per message. */
export class Interpolated {
  readonly source: string
  readonly #interp: Interpolation
  constructor(source: string) {
    this.source = source
    this.#interp = parseInterpolation(source)
  }
  get isStatic(): boolean {
    return this.#interp.isStatic
  }
  /** Renders for message `index` of the batch; throws on a failed expression. */
  text(view: BatchView, index: number): string {
    if (this.#interp.isStatic) return this.#interp.render()
    return this.#interp.render(view.input(index), view.options(index))
  }
  bytes(view: BatchView, index: number): Uint8Array {
    if (this.#interp.isStatic) return this.#interp.renderBytes()
    return this.#interp.renderBytes(view.input(index), view.options(index))
  }
}

/** Wraps a parse failure of an interpolated field the way Bento words it. */
export function interpolated(source: string, what: string): Interpolated {
  try {
    return new Interpolated(source)
  } catch (err) {
    throw new Error(`failed to parse ${what} expression: ${(err as Error).message}`)
  }
}

export const errorOf = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)))

/** Flags a message as failed by a processor (it travels on). */
export function fail(message: Message, err: unknown): void {
  message.error = errorOf(err)
}

/** Prefixes an error's text, keeping the original as its cause. */
export const wrapError = (prefix: string, err: unknown): Error =>
  new Error(`${prefix}: ${errorOf(err).message}`, { cause: err })

function valueSuffix(v: Value): string {
  const t = typeOf(v)
  if (t === 'string') return ` ("${v as string}")`
  if (t === 'bool' || t === 'number') return ` (${toStringValue(v)})`
  return ''
}

/**
 * Bento's QueryPart: runs a mapping on message `index` and expects a boolean root. A string or
 * bytes result is read as JSON (as Bento re-reads the new payload); an unassigned root reads the
 * message itself.
 */
export function queryBool(executor: Executor, view: BatchView, index: number): boolean {
  const { value, part } = executor.applyRaw(view.input(index), view.options(index))
  if (value === DELETE) throw new Error('query mapping resulted in deleted message, expected a boolean value')
  let v: Value = value
  if (v === NOTHING) v = part.structured()
  else if (typeof v === 'string') v = parseJSON(v)
  else if (v instanceof Uint8Array) v = parseJSON(decoder.decode(v))
  if (typeof v === 'boolean') return v
  throw new Error(`expected bool value, got ${typeOf(v)} from mapping${valueSuffix(v)}`)
}

/** Sets a mapping's root on a message, as Bento does: strings and bytes as raw payload. */
export function setRoot(message: Message, value: Value): void {
  if (typeof value === 'string') message.setBytes(value)
  else if (value instanceof Uint8Array) message.setBytes(value)
  else message.setStructured(value)
}

/**
 * Bento's MapOnto: runs a mapping where `this`, `content()` and `metadata()` read message `index`
 * of `reference`, while `root` starts as the payload of `onto` and `@` reads and writes its
 * metadata. Returns the new root (NOTHING: unchanged, DELETE: deleted) and metadata; `onto` is
 * not changed. Throws `failed assignment (line N): …`.
 */
export function mapOnto(
  executor: Executor,
  onto: Message,
  reference: readonly MessageInput[],
  index: number,
): { value: Value; metadata: Map<string, Value> } {
  const { value, metadata } = executor.applyRaw(reference[index]!, {
    batch: [...reference],
    index,
    onto: toInput(onto),
  })
  return { value, metadata }
}

/** Runs child processors over batches; a child that throws fails the whole call. */
export async function runAll(processors: readonly Processor[], batches: Batch[]): Promise<Batch[]> {
  if (processors.length === 0) return batches.filter((b) => b.length > 0)
  const out: Batch[] = []
  for (const batch of batches) for (const b of await runProcessors(processors, batch)) out.push(b)
  return out
}

export async function closeAll(processors: readonly Processor[]): Promise<void> {
  for (const p of processors) await p.close?.()
}

/** Go's time.ParseDuration for values rendered at run time, in milliseconds. */
export function durationMs(text: string): number {
  return parseDuration(text)
}

/** A fresh message with the given bytes and metadata copied from another. */
export function derived(from: Message, content: Uint8Array | string): Message {
  const m = new Message(content, from.metadata)
  m.flagLike(from)
  return m
}

/** Sleeps for `ms`, waking early when `signal` fires; resolves false when woken. */
export function sleepFor(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
