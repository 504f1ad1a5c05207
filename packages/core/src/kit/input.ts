// The input skeleton: a connector gives how to connect, read over a connection, and disconnect;
// the skeleton holds the connection (dropped when a read says the link broke: the runtime
// reconnects with Bento's backoff), acknowledges per message where the source can, and applies
// the input's `auto_replay_nacks` and `batching` fields when it declares them.
import {
  type AckFn,
  BatchError,
  type BatchingPolicyConfig,
  type ComponentContext,
  type Input,
} from '../component.ts'
import { batchedInput } from '../components/io/broker-input.ts'
import type { Batch } from '../message.ts'
import { autoReplayNacks } from '../replay.ts'
import { policyEnabled } from '../sink.ts'
import { holdConnection } from './connection.ts'

/**
 * What one read gives: a batch acknowledged as a whole, or a batch whose messages are
 * acknowledged one by one (`acks[i]` for `batch[i]`: a partly delivered batch then acks what was
 * delivered and nacks the rest).
 */
export type InputRead = { batch: Batch; ack: AckFn } | { batch: Batch; acks: readonly AckFn[] }

export interface InputDriver<C> {
  /** Opens a connection (throw NotConnected, or any error, when it cannot: the runtime retries). */
  connect(signal: AbortSignal): Promise<C>
  /** The next batch; throws EndOfInput when there is no more, NotConnected when the link broke. */
  read(connection: NoInfer<C>, signal: AbortSignal): Promise<InputRead>
  /** Closes a connection; acks of messages read over it may still arrive afterwards. */
  disconnect(connection: NoInfer<C>): Promise<void>
}

/** The fields of the input's config the skeleton applies, when the input declares them. */
export interface InputRuntimeConfig {
  auto_replay_nacks?: boolean
  /** the component's other fields (the skeleton ignores them) */
  readonly [field: string]: unknown
  batching?: BatchingPolicyConfig
}

/** Acks each message of a batch with what concerns it: delivered ones without an error. */
export function perMessageAck(batch: Batch, acks: readonly AckFn[]): AckFn {
  return async (error) => {
    if (error === undefined) {
      await Promise.all(acks.map((ack) => ack()))
      return
    }
    // Each message hears its own failure; one the error does not name was delivered.
    const failures =
      error instanceof BatchError && error.splitOver([batch]) !== null ? error.failures : undefined
    await Promise.all(acks.map((ack, i) => ack(failures === undefined ? error : failures.get(batch[i]!))))
  }
}

/** An input over a driver, with the connection lifecycle owned here. */
export async function inputSkeleton<C>(
  config: InputRuntimeConfig,
  context: ComponentContext,
  driver: InputDriver<C>,
): Promise<Input> {
  const held = holdConnection(driver)
  const base: Input = {
    connect: held.connect,
    async read(signal) {
      const read = await held.use(signal, (c) => driver.read(c, signal))
      return 'ack' in read ? read : { batch: read.batch, ack: perMessageAck(read.batch, read.acks) }
    },
    close: held.close,
  }
  const replayed =
    config.auto_replay_nacks === undefined ? base : autoReplayNacks(base, config.auto_replay_nacks)
  if (!policyEnabled(config.batching)) return replayed
  const processors = await context.build.processors(config.batching.processors ?? [])
  return batchedInput(replayed, { ...config.batching, processors }, processors)
}
