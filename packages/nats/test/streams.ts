// Filling a JetStream stream fast and reading back the ids of everything in it, for the crash and
// outage tests.
import { createInbox, type NatsConnection } from 'nats'

/** Publishes `count` messages with up to 1024 PubAcks outstanding; resolves when all are stored. */
export async function fillStream(
  nc: NatsConnection,
  subject: string,
  count: number,
  body: (i: number) => string,
): Promise<void> {
  const prefix = `${createInbox()}.`
  let next = 0
  let stored = 0
  let outstanding = 0
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (outstanding < 1024 && next < count) {
        outstanding++
        nc.publish(subject, body(next), { reply: prefix + next })
        next++
      }
    }
    const sub = nc.subscribe(`${prefix}*`, {
      callback: (_err, m) => {
        const answer = new TextDecoder().decode(m.data)
        if (!answer.startsWith('{"stream"')) {
          sub.unsubscribe()
          reject(new Error(`publish to ${subject} failed: ${answer}`))
          return
        }
        outstanding--
        if (++stored === count) {
          sub.unsubscribe()
          resolve()
        } else pump()
      },
    })
    pump()
  })
}

/** The `id` of every message in a stream, duplicates included, in stream order. */
export async function readIds(nc: NatsConnection, stream: string): Promise<string[]> {
  const jsm = await nc.jetstreamManager()
  const expected = (await jsm.streams.info(stream)).state.messages
  const ids: string[] = []
  if (expected === 0) return ids
  const consumer = await nc.jetstream().consumers.get(stream)
  const decoder = new TextDecoder()
  let done = () => {}
  const all = new Promise<void>((resolve) => {
    done = resolve
  })
  const messages = await consumer.consume({
    max_messages: 4096,
    callback: (m) => {
      ids.push((JSON.parse(decoder.decode(m.data)) as { id: string }).id)
      if (ids.length === expected) done()
    },
  })
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`read only ${ids.length} of ${expected} messages of ${stream}`)),
      120_000,
    ).unref(),
  )
  try {
    await Promise.race([all, timeout])
  } finally {
    await messages.close()
  }
  return ids
}
