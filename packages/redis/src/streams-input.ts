// `redis_streams` input: a consumer of a consumer group (XREADGROUP). An entry stays in the
// group's pending list until its message was delivered downstream; only then is it XACKed (in
// groups, every `commit_period` and at shutdown, as Bento does). After a restart the consumer
// first reads its own pending entries again; entries a dead consumer left pending longer than
// `claim_min_idle` are taken over with XAUTOCLAIM. Nothing read is lost, at worst redelivered.
import {
  type AckFn,
  type ComponentContext,
  type ConfigOf,
  FieldError,
  field,
  type Input,
  Message,
  NotConnected,
  parseDuration,
} from '@bento-ts/core'
import { abortable, autoReplayNacksField, defineInput, inputSkeleton } from '@bento-ts/core/kit'
import {
  commandError,
  connectClient,
  isReplyError,
  type RedisClient,
  redisClientFactory,
  redisClientFields,
} from './client.ts'

const fields = [
  ...redisClientFields,
  field.string('body_key', {
    default: 'body',
    description:
      'The field key to extract the raw message from. All other keys will be stored in the message as metadata.',
  }),
  field.array('streams', 'string', { description: 'A list of streams to consume from.' }),
  autoReplayNacksField(),
  field.int('limit', {
    default: 10,
    description: 'The maximum number of messages to consume from a single request.',
  }),
  field.string('client_id', { default: '', description: 'An identifier for the client connection.' }),
  field.string('consumer_group', {
    default: '',
    description: 'An identifier for the consumer group of the stream.',
  }),
  field.bool('create_streams', {
    default: true,
    advanced: true,
    description: 'Create subscribed streams if they do not exist (MKSTREAM option).',
  }),
  field.bool('start_from_oldest', {
    default: true,
    advanced: true,
    description:
      'If an offset is not found for a stream, determines whether to consume from the oldest available offset, otherwise messages are consumed from the latest offset.',
  }),
  field.duration('commit_period', {
    default: '1s',
    advanced: true,
    description:
      'The period of time between each commit of the current offset. Offsets are always committed during shutdown.',
  }),
  field.duration('timeout', {
    default: '1s',
    advanced: true,
    description: 'The length of time to poll for new messages before reattempting.',
  }),
  field.string('claim_min_idle', {
    default: '1m',
    advanced: true,
    description:
      'Entries of the group left pending by another consumer (one that died) for at least this long are claimed with XAUTOCLAIM and delivered by this one. Make it longer than the slowest delivery, or a slow consumer loses its work to another and it is processed twice. An empty string turns claiming off (Bento never claims). Not a Bento field.',
  }),
] as const

export type StreamsInputConfig = ConfigOf<typeof fields>

interface Entry {
  stream: string
  id: string
  body: Buffer
  /** every field but the body, in the entry's order */
  fields: [string, string][]
}

/** Acks waiting for XACK beyond this many are sent at once rather than at the next commit tick. */
const ackBatchSize = 1024

type RawEntry = [Buffer, Buffer[] | null]

interface Connection {
  /** blocking reads and claims */
  reader: RedisClient
  /** XACKs, so they never wait behind a blocking read */
  writer: RedisClient
  /** sends the acks every commit_period */
  timer: NodeJS.Timeout
  /** the read under way, started early (once half the buffer is handed out) so the next entries are there when needed */
  fetching?: Promise<void> | undefined
}

export function redisStreamsInput(c: StreamsInputConfig, context: ComponentContext): Promise<Input> {
  if (c.streams.length === 0) throw new FieldError('streams', 'at least one stream is required')
  if (c.limit <= 0) throw new FieldError('limit', `must be greater than zero, got ${c.limit}`)
  const makeClient = redisClientFactory(c)
  const logger = context.logger
  const group = c.consumer_group
  const consumer = c.client_id
  const timeoutMs = parseDuration(c.timeout)
  const commitMs = parseDuration(c.commit_period)
  const claimIdleMs = c.claim_min_idle === '' ? 0 : parseDuration(c.claim_min_idle)
  const claimEveryMs = Math.max(100, claimIdleMs / 2)

  /** the connection acks go over (they may come after the one they were read over dropped) */
  let live: Connection | undefined
  /** entries read and not handed out yet (and nacked ones, to hand out again) */
  const buffer: Entry[] = []
  /** per stream, where the next read of our own pending entries starts; absent: new entries ('>') */
  const backlog = new Map<string, string>()
  /** per stream, ids we hold (buffered, handed out, or acked and not yet XACKed): never read twice */
  const held = new Map<string, Set<string>>(c.streams.map((s) => [s, new Set()]))
  /** XACKed ids, still held until a read sent after their XACK was answered has finished */
  let released: Map<string, string[]>[] = []
  /** per stream, acked ids waiting for XACK */
  let acks = new Map<string, string[]>()
  let ackCount = 0
  let sending: Promise<void> | undefined
  let sendAgain = false
  const claimCursors = new Map<string, string>()
  let nextClaimAt = 0

  const holds = (stream: string, id: string): boolean => held.get(stream)?.has(id) ?? false
  const hold = (stream: string, id: string): void => {
    let set = held.get(stream)
    if (set === undefined) {
      set = new Set()
      held.set(stream, set)
    }
    set.add(id)
  }

  /** Closes a connection's link: the read over it fails with NotConnected and the skeleton drops it. */
  const breakLink = (conn: Connection): void => {
    conn.reader.disconnect()
    conn.writer.disconnect()
  }

  const queueAck = (stream: string, id: string): void => {
    let ids = acks.get(stream)
    if (ids === undefined) {
      ids = []
      acks.set(stream, ids)
    }
    ids.push(id)
    ackCount++
    if (ackCount >= ackBatchSize) void flushAcks()
  }

  /** XACKs what was acked; ids that could not be sent wait for the next try (after a reconnect). */
  const sendAcks = async (): Promise<void> => {
    const conn = live
    if (conn === undefined || ackCount === 0) return
    const w = conn.writer
    const sent = acks
    acks = new Map()
    ackCount = 0
    const pipeline = w.pipeline()
    for (const [stream, ids] of sent) pipeline.xack(stream, group, ...ids)
    let failure: unknown
    try {
      const results = await pipeline.exec()
      failure =
        results?.find(([err]) => err !== null)?.[0] ?? (results === null ? new Error('discarded') : undefined)
    } catch (err) {
      failure = err
    }
    if (failure === undefined) {
      // Not forgotten yet: a read sent before this XACK was answered may still bring them back
      // (a claim the server ran first). The next read started from now on cannot.
      released.push(sent)
      return
    }
    for (const [stream, ids] of sent) {
      const waiting = acks.get(stream)
      acks.set(stream, waiting === undefined ? ids : [...ids, ...waiting])
      ackCount += ids.length
    }
    logger.error(`redis_streams: failed to ack entries: ${(failure as Error).message}`)
    if (!isReplyError(failure) && conn === live) breakLink(conn)
  }

  /** One XACK round at a time; a request while one runs makes it go once more. */
  const flushAcks = (): Promise<void> => {
    if (sending !== undefined) {
      sendAgain = true
      return sending
    }
    sending = (async () => {
      do {
        sendAgain = false
        await sendAcks()
      } while (sendAgain && live !== undefined)
    })().finally(() => {
      sending = undefined
    })
    return sending
  }

  /** Turns XREADGROUP/XAUTOCLAIM entries into buffered ones; returns the last id seen. */
  const take = (stream: string, entries: RawEntry[]): string | undefined => {
    let last: string | undefined
    for (const [rawId, rawFields] of entries) {
      const id = rawId.toString()
      last = id
      if (holds(stream, id)) continue
      if (rawFields === null) {
        // Pending, but trimmed from the stream: nothing to deliver, only to acknowledge.
        hold(stream, id)
        queueAck(stream, id)
        continue
      }
      let body: Buffer | undefined
      const fields: [string, string][] = []
      for (let i = 0; i + 1 < rawFields.length; i += 2) {
        const key = rawFields[i]!.toString()
        if (key === c.body_key) body = rawFields[i + 1]!
        else fields.push([key, rawFields[i + 1]!.toString()])
      }
      hold(stream, id)
      if (body === undefined) {
        logger.warn(`redis_streams: entry ${id} of stream ${stream} has no field "${c.body_key}"; skipped`)
        queueAck(stream, id)
        continue
      }
      buffer.push({ stream, id, body, fields })
    }
    return last
  }

  /** XAUTOCLAIM round over every stream; true when it found something to deliver. */
  const claim = async (r: RedisClient): Promise<boolean> => {
    const before = buffer.length
    let finished = true
    for (const stream of c.streams) {
      const cursor = claimCursors.get(stream) ?? '0-0'
      const reply = (await r.callBuffer(
        'XAUTOCLAIM',
        stream,
        group,
        consumer,
        claimIdleMs,
        cursor,
        'COUNT',
        c.limit,
      )) as [Buffer, RawEntry[], Buffer[]?]
      const next = reply[0].toString()
      claimCursors.set(stream, next)
      if (next !== '0-0') finished = false
      take(stream, reply[1])
    }
    nextClaimAt = finished ? Date.now() + claimEveryMs : 0
    if (buffer.length > before)
      logger.info(`redis_streams: claimed ${buffer.length - before} idle pending entries`)
    return buffer.length > before
  }

  const fill = async (r: RedisClient): Promise<void> => {
    const forget = released
    released = []
    try {
      await readInto(r)
    } catch (err) {
      released.push(...forget)
      throw err
    }
    for (const sent of forget) {
      for (const [stream, ids] of sent) {
        const set = held.get(stream)
        for (const id of ids) set?.delete(id)
      }
    }
  }

  const readInto = async (r: RedisClient): Promise<void> => {
    if (claimIdleMs > 0 && Date.now() >= nextClaimAt && (await claim(r))) return
    const ids = c.streams.map((s) => backlog.get(s) ?? '>')
    const reply = (await r.callBuffer(
      'XREADGROUP',
      'GROUP',
      group,
      consumer,
      'COUNT',
      c.limit,
      'BLOCK',
      timeoutMs,
      'STREAMS',
      ...c.streams,
      ...ids,
    )) as [Buffer, RawEntry[]][] | null
    if (reply === null) return
    for (const [rawStream, entries] of reply) {
      const stream = rawStream.toString()
      const last = take(stream, entries)
      if (!backlog.has(stream)) continue
      // Our own pending entries are read page by page; an empty page means we caught up.
      if (last === undefined) backlog.delete(stream)
      else backlog.set(stream, last)
    }
  }

  /** A read (claim or XREADGROUP) into the buffer; its failure is reported by the read that awaits it. */
  const fetch = (conn: Connection): Promise<void> => {
    const running = fill(conn.reader).finally(() => {
      if (conn.fetching === running) conn.fetching = undefined
    })
    // A prefetch that fails while nobody awaits it is seen when the buffer runs dry.
    running.catch(() => {})
    return running
  }

  const deliver = (entry: Entry): { batch: Message[]; ack: AckFn } => {
    const metadata = new Map<string, unknown>([['redis_stream', entry.id]])
    for (const [key, value] of entry.fields) metadata.set(key, value)
    return {
      batch: [Message.adopt(entry.body, metadata)],
      ack: async (error) => {
        // A nack (only seen with auto_replay_nacks off) hands the entry out again, as Bento does.
        if (error !== undefined) buffer.push(entry)
        else queueAck(entry.stream, entry.id)
      },
    }
  }

  // With auto_replay_nacks off a nack still hands the entry out again (the ack above does it).
  const { auto_replay_nacks, ...withoutReplays } = c
  return inputSkeleton(auto_replay_nacks ? c : withoutReplays, context, {
    async connect(signal) {
      const r = makeClient({ name: `${context.label}-read` })
      const w = makeClient({ name: `${context.label}-ack` })
      try {
        await connectClient(r, signal)
        await connectClient(w, signal)
        for (const stream of c.streams) {
          const args = ['CREATE', stream, group, c.start_from_oldest ? '0' : '$']
          if (c.create_streams) args.push('MKSTREAM')
          try {
            await w.call('XGROUP', ...args)
          } catch (err) {
            if (!String((err as Error).message).startsWith('BUSYGROUP')) {
              throw isReplyError(err)
                ? new Error(
                    `redis_streams: failed to create group ${group} for stream ${stream}: ${(err as Error).message}`,
                  )
                : commandError(err, 'redis_streams: create group')
            }
          }
        }
      } catch (err) {
        r.disconnect()
        w.disconnect()
        throw err
      }
      const conn: Connection = {
        reader: r,
        writer: w,
        timer: setInterval(() => void flushAcks(), commitMs).unref(),
      }
      live = conn
      // After every (re)connect read our own pending entries first: a read whose answer was lost
      // with the link left entries there that nobody else will deliver.
      for (const stream of c.streams) backlog.set(stream, '0')
      void flushAcks()
      return conn
    },

    async read(conn, signal) {
      for (;;) {
        const entry = buffer.shift()
        if (entry !== undefined) {
          if (conn.fetching === undefined && buffer.length < c.limit / 2) conn.fetching = fetch(conn)
          return deliver(entry)
        }
        conn.fetching ??= fetch(conn)
        try {
          await abortable(conn.fetching, signal)
        } catch (err) {
          if (signal.aborted) throw err
          // The stream or its group vanished (deleted, or a server that lost its data): connect
          // again, which makes them anew.
          throw /^(NOGROUP|UNBLOCKED)/.test(String((err as Error).message))
            ? new NotConnected(`redis_streams: read: ${(err as Error).message}`)
            : commandError(err, 'redis_streams: read')
        }
      }
    },

    async disconnect(conn) {
      clearInterval(conn.timer)
      if (live === conn) {
        // Acks are always sent at shutdown; over a link already gone they wait for the next one.
        if (conn.writer.status === 'ready') await flushAcks().catch(() => {})
        live = undefined
      }
      breakLink(conn)
    },
  })
}

export const redisStreamsInputPlugin = defineInput({
  name: 'redis_streams',
  status: 'stable',
  categories: ['Services'],
  summary:
    'Pulls messages from Redis (v5.0+) streams with the XREADGROUP command. The `client_id` should be unique for each consumer of a group.',
  description:
    'Redis stream entries are key/value pairs, as such it is necessary to specify the key that contains the body of the message. All other keys/value pairs are saved as metadata fields, and `redis_stream` holds the entry ID. An entry is acknowledged (XACK) only once its message was delivered; acknowledgements are sent every `commit_period` and at shutdown. On start the consumer reads its own pending entries again, and entries another consumer of the group left pending for `claim_min_idle` are claimed with XAUTOCLAIM (Redis 6.2+).',
  fields,
  create: redisStreamsInput,
})
