// The one step every message leaving the plugin for the host goes through (bento.input publishes,
// trigger calls): stamp its envelope, stop it when it has looped to the depth limit, remember
// credential metadata, and hand the rest to the delivery lanes.
import type { Batch, Message } from '@bento-ts/core'
import { depthOf, stampOutgoing } from './envelope.ts'
import type { BridgeSettings } from './options.ts'
import { addMetadataSecrets } from './secrets.ts'

export interface ForwardOptions {
  /** `event_source` of what enters here */
  source: string
  maxDepth: number
  /** where a stopped loop was headed, for the log line */
  destination: string
  bridge: BridgeSettings
  /** labels of the `bridge_loop_stopped` counter */
  labels: Record<string, string>
  /** delivers message `index` of the batch (through the lanes) */
  submit(message: Message, index: number): Promise<void>
}

/**
 * Forwards a batch. Every message is submitted in read order before any await, so the messages of
 * one key keep their order in the lanes. Resolves once all were delivered; rejects with the first
 * failure, so the batch is nacked to its source.
 */
export async function forwardBatch(batch: Batch, o: ForwardOptions): Promise<void> {
  const deliveries: Promise<void>[] = []
  batch.forEach((message, index) => {
    const depth = depthOf(message)
    if (stampOutgoing(message, o.source, o.maxDepth) === undefined) {
      o.bridge.metrics.counter('bridge_loop_stopped', o.labels).inc()
      o.bridge.loops.stop(message, `${o.destination} (depth ${depth})`, o.maxDepth)
      return
    }
    // what processors added since the read (credentials seen at read are already known)
    addMetadataSecrets(message.metadata)
    deliveries.push(o.submit(message, index))
  })
  const results = await Promise.allSettled(deliveries)
  const failed = results.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
}
