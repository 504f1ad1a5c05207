// The output skeleton: a connector gives how to connect, write a batch over a connection, and
// disconnect; the skeleton holds the connection, drops it when a write says the link broke, and
// hands the runtime the output's max_in_flight and batching. The runtime (the sink) does the rest:
// reconnects with backoff, ordering, metrics, batching, shutdown.
import type { BatchingPolicyConfig, Output } from '../component.ts'
import type { Batch } from '../message.ts'
import { holdConnection } from './connection.ts'

export interface OutputDriver<C> {
  /** Opens a connection (throw NotConnected, or any error, when it cannot: the runtime retries). */
  connect(signal: AbortSignal): Promise<C>
  /**
   * Delivers the whole batch or throws: NotConnected when the link broke (the connection is
   * dropped, the runtime reconnects and writes the batch again), a BatchError when only some
   * messages failed (only those are retried), any other error to fail (nack) the whole batch.
   */
  write(connection: NoInfer<C>, batch: Batch, signal: AbortSignal): Promise<void>
  /** Closes a connection; called once per connection, after writes under way settled. */
  disconnect(connection: NoInfer<C>): Promise<void>
}

/** The fields of the output's config the runtime reads. */
export interface OutputRuntimeConfig {
  max_in_flight?: number
  /** the component's other fields (the skeleton ignores them) */
  readonly [field: string]: unknown
  batching?: BatchingPolicyConfig
}

/** An output over a driver, with the connection lifecycle owned here. */
export function outputSkeleton<C>(config: OutputRuntimeConfig, driver: OutputDriver<C>): Output {
  const held = holdConnection(driver)
  return {
    ...(config.max_in_flight === undefined ? {} : { maxInFlight: config.max_in_flight }),
    ...(config.batching === undefined ? {} : { batching: config.batching }),
    connect: held.connect,
    write: (batch, signal) => held.use(signal, (c) => driver.write(c, batch, signal)),
    close: held.close,
  }
}
