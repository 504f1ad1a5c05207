// `sync: true`: unary Pull requests instead of a streaming pull. The client library has no such
// mode, so this keeps the leases itself: every message pulled and not yet acknowledged gets its
// ack deadline extended until it is; acks and nacks go out in small batches.
import { NotConnected } from '@bento-ts/core'
import { pause } from '@bento-ts/core/kit'
import type { protos, v1 } from '@google-cloud/pubsub'
import { codeOf, errorText, grpcCode } from './client.ts'
import { type Delivery, timestampSeconds } from './delivery.ts'
import { Inbox } from './inbox.ts'
import type { Limits, Source } from './streaming.ts'

type SubscriberClient = InstanceType<typeof v1.SubscriberClient>

/** how long each pulled message is leased for, renewed a third of the way before it runs out */
export const leaseSeconds = 30
const renewEveryMs = (leaseSeconds * 1000) / 3
/** Pull and Acknowledge take at most this many messages or ids per request */
const maxPerRequest = 1000
const flushEveryMs = 100
/** Pub/Sub answers an empty pull before its deadline; this bounds how long a close waits for one */
const pullTimeoutMs = 3000

export interface PullOptions {
  client: SubscriberClient
  /** full path: projects/<p>/subscriptions/<s> */
  subscription: string
  limits: Limits
  onError(message: string): void
}

/**
 * Ack ids waiting to be sent as one request: flushed when enough piled up, or shortly after the
 * first one arrived.
 */
function idBatcher(send: (ids: string[]) => Promise<unknown>, onError: (err: unknown) => void) {
  let ids: string[] = []
  let timer: NodeJS.Timeout | undefined
  const sending = new Set<Promise<unknown>>()
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    while (ids.length > 0) {
      const chunk = ids.slice(0, maxPerRequest)
      ids = ids.slice(maxPerRequest)
      const request = send(chunk).catch(onError)
      sending.add(request)
      request.finally(() => sending.delete(request))
    }
  }
  return {
    add(id: string) {
      ids.push(id)
      if (ids.length >= maxPerRequest) flush()
      else timer ??= setTimeout(flush, flushEveryMs)
    },
    async drain() {
      flush()
      await Promise.allSettled([...sending])
    },
  }
}

export function pullSource(o: PullOptions): Source {
  const { client, subscription, limits } = o
  const inbox = new Inbox<Delivery>()
  const stopping = new AbortController()
  /** leased messages by ack id, with their size */
  const leased = new Map<string, number>()
  let leasedBytes = 0
  let roomFreed: (() => void) | undefined

  const report = (what: string) => (err: unknown) =>
    o.onError(`gcp_pubsub input: ${what} on ${subscription}: ${errorText(err)}`)
  const acks = idBatcher(
    (ackIds) => client.acknowledge({ subscription, ackIds }),
    report('failed to acknowledge messages'),
  )
  const nacks = idBatcher(
    (ackIds) => client.modifyAckDeadline({ subscription, ackIds, ackDeadlineSeconds: 0 }),
    report('failed to nack messages'),
  )

  /** Forgets a lease; false when it was already settled (a second ack or nack does nothing). */
  const release = (ackId: string): boolean => {
    const size = leased.get(ackId)
    if (size === undefined) return false
    leased.delete(ackId)
    leasedBytes -= size
    roomFreed?.()
    roomFreed = undefined
    return true
  }

  const full = () => leased.size >= limits.maxMessages || leasedBytes >= limits.maxBytes
  const waitForRoom = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        stopping.signal.removeEventListener('abort', done)
        resolve()
      }
      roomFreed = done
      stopping.signal.addEventListener('abort', done, { once: true })
    })

  const extend = async () => {
    const ackIds = [...leased.keys()]
    for (let i = 0; i < ackIds.length; i += maxPerRequest) {
      await client
        .modifyAckDeadline({
          subscription,
          ackIds: ackIds.slice(i, i + maxPerRequest),
          ackDeadlineSeconds: leaseSeconds,
        })
        .catch(report('failed to extend leases'))
    }
  }
  const renewal = setInterval(() => void extend(), renewEveryMs)

  const loop = async () => {
    while (!stopping.signal.aborted) {
      if (full()) {
        await waitForRoom()
        continue
      }
      let received: protos.google.pubsub.v1.IReceivedMessage[] | null | undefined
      try {
        const room = Math.min(maxPerRequest, limits.maxMessages - leased.size)
        // Short pulls: the client cannot cancel one under way, so closing waits for it to end.
        const [response] = await client.pull({ subscription, maxMessages: room }, { timeout: pullTimeoutMs })
        received = response.receivedMessages
      } catch (err) {
        if (stopping.signal.aborted) return
        // A pull that waited its whole timeout for messages is not a failure.
        if (codeOf(err) === grpcCode.deadlineExceeded) continue
        const reason = `gcp_pubsub input: pull from ${subscription} failed: ${errorText(err)}`
        o.onError(reason)
        giveBack(inbox.fail(new NotConnected(reason)))
        return
      }
      // Closed while the pull was under way: what it brought goes straight back.
      if (stopping.signal.aborted) {
        const late = (received ?? []).map((r) => r.ackId ?? '').filter((id) => id !== '')
        for (const id of late) nacks.add(id)
        return
      }
      if (received === null || received === undefined || received.length === 0) {
        await pause(100, stopping.signal)
        continue
      }
      const ackIds: string[] = []
      for (const r of received) {
        const ackId = r.ackId ?? ''
        const m = r.message ?? {}
        const data = m.data instanceof Uint8Array ? m.data : new Uint8Array(0)
        const size = data.length
        leased.set(ackId, size)
        leasedBytes += size
        ackIds.push(ackId)
        inbox.push({
          data,
          attributes: { ...(m.attributes ?? {}) },
          id: m.messageId ?? '',
          publishTimeUnix: timestampSeconds(m.publishTime?.seconds),
          orderingKey: m.orderingKey ?? '',
          deliveryAttempt: r.deliveryAttempt ?? 0,
          size,
          ack: () => {
            if (release(ackId)) acks.add(ackId)
          },
          nack: () => {
            if (release(ackId)) nacks.add(ackId)
          },
        })
      }
      // The subscription's own deadline may be short: take the lease the renewal timer keeps up.
      client
        .modifyAckDeadline({ subscription, ackIds, ackDeadlineSeconds: leaseSeconds })
        .catch(report('failed to lease messages'))
    }
  }

  /** Messages that were pulled but will not be read go back at once. */
  const giveBack = (left: Delivery[]) => {
    for (const d of left) d.nack()
  }

  const looping = loop()

  return {
    next: (signal) => inbox.take(signal),
    async close() {
      stopping.abort()
      clearInterval(renewal)
      giveBack(inbox.fail(new NotConnected(`gcp_pubsub input: subscription ${subscription} closed`)))
      // Whatever the stream still holds unacknowledged is handed back too.
      for (const ackId of [...leased.keys()]) if (release(ackId)) nacks.add(ackId)
      await looping
      await Promise.all([acks.drain(), nacks.drain()])
      await client.close()
    },
  }
}
