// Synchronous responses (Bento's `sync_response`). An input that can answer whoever sent it a
// message (http_server) puts a SyncResponseStore in the message's metadata under
// `syncResponseKey`. Metadata travels with a message through processors and outputs (mappings,
// copies and brokers carry the reference along), so wherever the `sync_response` processor or
// output runs it can add the message, as it is then, to the store; the input reads the store once
// the transaction is acknowledged. Bento keeps the store in the message's Go context instead.

import type { ComponentContext } from './component.ts'
import type { Batch, Message } from './message.ts'

/** The metadata key under which a message carries its SyncResponseStore. */
export const syncResponseKey = '__sync_response'

// A registered symbol, so two copies of this module (a build and its sources) still agree.
const brand = Symbol.for('@bento-ts/core.SyncResponseStore')

/**
 * Responses gathered for one transaction, in the order they were added. Its state is private, so
 * a store that reaches an output with the rest of the metadata renders as `{}`.
 */
export class SyncResponseStore {
  readonly #messages: Message[] = []
  readonly [brand] = true

  /** Keeps a snapshot of the message: processors that run later do not change it. */
  add(message: Message): void {
    this.#messages.push(message.copy())
  }

  get messages(): readonly Message[] {
    return this.#messages
  }
}

export function syncResponseStoreOf(message: Message): SyncResponseStore | undefined {
  const store = message.metadata.get(syncResponseKey)
  return typeof store === 'object' && store !== null && brand in store
    ? (store as SyncResponseStore)
    : undefined
}

/** Adds each message of the batch to the store it carries, if any (a no-op for other inputs). */
export function addSyncResponses(batch: Batch): void {
  for (const message of batch) syncResponseStoreOf(message)?.add(message)
}

// Streams in which some component answers (a sync_response processor or output, an http_client
// output with propagate_response), keyed by the stream's resources. Inputs attach a store only
// there, so other streams carry no extra metadata key to their outputs.
const answering = new WeakSet<object>()

/** Declares, when a component is created, that its stream gives synchronous responses. */
export function expectSyncResponses(context: Pick<ComponentContext, 'resources'>): void {
  answering.add(context.resources)
}

/** Whether a component of this stream declared that it gives synchronous responses. */
export function syncResponsesExpected(context: Pick<ComponentContext, 'resources'>): boolean {
  return answering.has(context.resources)
}
