// The two ends where a Bento stream meets the workflow host: an input fed by the host
// (`DeliverMessage`) and an output that hands batches to the host (`PublishMessage`,
// `TriggerWorkflow`). Streams name them by an id in their config; the plugin registers what is
// behind each id before it starts the stream. They are added to a copy of the environment the
// plugin was given, so the user's components are untouched.
import {
  type AckFn,
  addPlugin,
  type Batch,
  createEnvironment,
  type Environment,
  field,
  type Input,
  type Output,
  type Plugin,
} from '@bento-ts/core'

export const hostInputType = 'workflow_host_source'
export const hostOutputType = 'workflow_host_sink'

/** Hands a batch to the host; resolves once the host accepted all of it, rejects otherwise. */
export type HostSink = (batch: Batch) => Promise<void>

interface Pending {
  batch: Batch
  ack: AckFn
}

/**
 * Batches the host delivered, waiting for the stream to read them. `push` resolves with the
 * stream's verdict on the batch: once its output wrote it (or a processor dropped it), or with
 * the error that nacked it.
 */
export class HostSource {
  readonly #queue: Pending[] = []
  readonly #readers: { take: (p: Pending) => void; fail: (err: unknown) => void }[] = []
  #closed: Error | undefined

  push(batch: Batch): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    return new Promise<void>((resolve, reject) => {
      let settled = false
      const pending: Pending = {
        batch,
        ack: async (error) => {
          if (settled) return
          settled = true
          if (error === undefined) resolve()
          else reject(error)
        },
      }
      const reader = this.#readers.shift()
      if (reader !== undefined) reader.take(pending)
      else this.#queue.push(pending)
    })
  }

  async read(signal: AbortSignal): Promise<Pending> {
    const queued = this.#queue.shift()
    if (queued !== undefined) return queued
    if (this.#closed !== undefined) throw new DOMException('host source closed', 'AbortError')
    signal.throwIfAborted()
    return new Promise<Pending>((resolve, reject) => {
      const reader = {
        take: (p: Pending) => {
          signal.removeEventListener('abort', onAbort)
          resolve(p)
        },
        fail: (err: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(err)
        },
      }
      const onAbort = () => {
        const i = this.#readers.indexOf(reader)
        if (i >= 0) this.#readers.splice(i, 1)
        reject(signal.reason)
      }
      this.#readers.push(reader)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Refuses new batches and fails the ones nobody read yet (the host may redeliver them). */
  close(reason: Error): void {
    this.#closed ??= reason
    for (const p of this.#queue.splice(0)) void p.ack(reason)
    // A reader still waiting gets nothing more: the stream reads that as its input ending.
    for (const r of this.#readers.splice(0)) r.fail(new DOMException('host source closed', 'AbortError'))
  }
}

const sources = new Map<string, HostSource>()
const sinks = new Map<string, { sink: HostSink; maxInFlight: number }>()

/** Makes `id` usable as `workflow_host_source: <id>` in a stream config until `unregister`. */
export function registerSource(id: string, source: HostSource): () => void {
  sources.set(id, source)
  return () => {
    if (sources.get(id) === source) sources.delete(id)
  }
}

/** Makes `id` usable as `workflow_host_sink: <id>` in a stream config until `unregister`. */
export function registerSink(id: string, sink: HostSink, maxInFlight = 1): () => void {
  const entry = { sink, maxInFlight }
  sinks.set(id, entry)
  return () => {
    if (sinks.get(id) === entry) sinks.delete(id)
  }
}

const hostInputPlugin: Plugin<'input'> = {
  spec: {
    name: hostInputType,
    kind: 'input',
    status: 'experimental',
    categories: ['Utility'],
    summary: 'Messages the workflow host delivers to this plugin (internal to workflow-plugin-bento).',
    value: field.string(hostInputType, { default: '' }),
  },
  create: (id: string): Input => {
    const source = sources.get(id)
    if (source === undefined) throw new Error(`no host source registered as "${id}"`)
    return {
      connect: async () => {},
      read: (signal) => source.read(signal),
      async close() {
        source.close(new Error('the module is stopping'))
      },
    }
  },
}

const hostOutputPlugin: Plugin<'output'> = {
  spec: {
    name: hostOutputType,
    kind: 'output',
    status: 'experimental',
    categories: ['Utility'],
    summary: 'Hands messages to the workflow host (internal to workflow-plugin-bento).',
    value: field.string(hostOutputType, { default: '' }),
  },
  create: (id: string): Output => {
    const entry = sinks.get(id)
    if (entry === undefined) throw new Error(`no host sink registered as "${id}"`)
    return {
      connect: async () => {},
      // A cancelled write (shutdown deadline) stops waiting for the host; its batch is nacked.
      write: (batch, signal) =>
        new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(signal.reason)
          const onAbort = () => reject(signal.reason)
          signal.addEventListener('abort', onAbort, { once: true })
          entry
            .sink(batch)
            .then(resolve, reject)
            .finally(() => signal.removeEventListener('abort', onAbort))
        }),
      close: async () => {},
      maxInFlight: entry.maxInFlight,
    }
  },
}

/** A copy of `env` with the host ends added (when it does not have them already). */
export function withHostComponents(env: Environment): Environment {
  const out = createEnvironment()
  for (const byName of env.plugins.values()) for (const plugin of byName.values()) addPlugin(out, plugin)
  if (!env.plugins.get('input')?.has(hostInputType)) addPlugin(out, hostInputPlugin)
  if (!env.plugins.get('output')?.has(hostOutputType)) addPlugin(out, hostOutputPlugin)
  return out
}
