// `redis_list` input, made reliable: each item is moved atomically (BLMOVE) from the list onto a
// processing list and removed from there (LREM) only once its message was delivered. Items a
// crashed run left in the processing list go back to the head of the list when the input first
// connects, so they are delivered again. Bento pops destructively (BLPOP/BRPOP) and can lose what
// was in flight when it died; the config is the same.
import {
  type ComponentContext,
  type ConfigOf,
  FieldError,
  field,
  type Input,
  Message,
  NotConnected,
  parseDuration,
} from '@bento-ts/core'
import {
  abortable,
  autoReplayNacksField,
  defineInput,
  inputSkeleton,
  maxInFlightField,
  Slots,
} from '@bento-ts/core/kit'
import {
  commandError,
  connectClient,
  type RedisClient,
  redisClientFactory,
  redisClientFields,
} from './client.ts'

const fields = [
  ...redisClientFields,
  field.string('key', { description: 'The key of a list to read from.' }),
  autoReplayNacksField(),
  {
    ...maxInFlightField(0),
    // Bento's input-side wording: here it bounds messages read and not yet acknowledged.
    description:
      'Optionally sets a limit on the number of messages that can be flowing through a Bento stream pending acknowledgment from the input at any given time. Once a message has been either acknowledged or rejected (nacked) it is no longer considered pending. If the input produces logical batches then each batch is considered a single count against the maximum. **WARNING**: Batching policies at the output level will stall if this field limits the number of messages below the batching threshold. Zero (default) or lower implies no limit.',
  } as ReturnType<typeof maxInFlightField>,
  field.duration('timeout', {
    default: '5s',
    advanced: true,
    description: 'The length of time to poll for new messages before reattempting.',
  }),
  field.string('command', {
    default: 'blpop',
    options: ['blpop', 'brpop'],
    advanced: true,
    description: 'The command used to pop elements from the Redis list',
  }),
  field.string('processing_key', {
    default: '',
    advanced: true,
    description:
      'The list items wait in until their message is delivered; empty: `<key>:processing`. Give each consumer of the same list its own. Not a Bento field.',
  }),
] as const

export type ListInputConfig = ConfigOf<typeof fields>

interface Connection {
  /** blocking moves */
  reader: RedisClient
  /** removals of delivered items, so they never wait behind a blocking read */
  writer: RedisClient
}

/** Moves every item of the processing list back to the popping end of the list, oldest nearest. */
const requeueScript = `local moved = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', ARGV[1]) do
  moved = moved + 1
end
return moved`

export const processingKeyOf = (c: { key: string; processing_key: string }): string =>
  c.processing_key !== '' ? c.processing_key : `${c.key}:processing`

export function redisListInput(c: ListInputConfig, context: ComponentContext): Promise<Input> {
  if (c.key === '') throw new FieldError('key', 'the key of a list is required')
  const makeClient = redisClientFactory(c)
  const processing = processingKeyOf(c)
  const side = c.command === 'brpop' ? 'RIGHT' : 'LEFT'
  const timeoutSeconds = parseDuration(c.timeout) / 1000
  const slots = c.max_in_flight > 0 ? new Slots(c.max_in_flight) : undefined
  /** the connection removals go over (acks may come after the one they were read over dropped) */
  let live: Connection | undefined
  let recovered = false
  /** delivered items whose LREM failed: removed after the next connect */
  const removals: Buffer[] = []

  const remove = async (value: Buffer): Promise<void> => {
    const conn = live
    if (conn === undefined) {
      removals.push(value)
      return
    }
    try {
      await conn.writer.lrem(processing, 1, value)
    } catch (err) {
      removals.push(value)
      context.logger.error(
        `redis_list: failed to remove a delivered item from ${processing}: ${(err as Error).message}`,
      )
      // The read over this link fails too then, and the skeleton connects again.
      if (commandError(err, '') instanceof NotConnected && conn === live) {
        conn.reader.disconnect()
        conn.writer.disconnect()
      }
    }
  }

  return inputSkeleton(c, context, {
    async connect(signal) {
      const r = makeClient({ name: `${context.label}-read` })
      const w = makeClient({ name: `${context.label}-ack` })
      try {
        await connectClient(r, signal)
        await connectClient(w, signal)
        // Only the first connect: after a reconnect the processing list holds our own work in flight.
        if (!recovered) {
          const moved = Number(await w.eval(requeueScript, 2, processing, c.key, side))
          if (moved > 0)
            context.logger.warn(
              `redis_list: ${moved} items left in ${processing} by an earlier run are queued again`,
            )
          recovered = true
        }
        const pending = removals.splice(0)
        for (const value of pending) await w.lrem(processing, 1, value)
      } catch (err) {
        r.disconnect()
        w.disconnect()
        throw commandError(err, 'redis_list: connect')
      }
      live = { reader: r, writer: w }
      return live
    },

    async read(conn, signal) {
      const room = slots?.acquire(signal)
      if (room !== undefined && !(await room)) signal.throwIfAborted()
      let released = false
      const release = () => {
        if (released) return
        released = true
        slots?.release()
      }
      try {
        for (;;) {
          let value: Buffer | null
          try {
            value = (await abortable(
              conn.reader.callBuffer('BLMOVE', c.key, processing, side, 'RIGHT', timeoutSeconds),
              signal,
            )) as Buffer | null
          } catch (err) {
            if (signal.aborted) throw err
            throw commandError(err, 'redis_list: read')
          }
          if (value === null) continue
          const item = value
          return {
            batch: [new Message(item)],
            ack: async () => {
              release()
              await remove(item)
            },
          }
        }
      } catch (err) {
        release()
        throw err
      }
    },

    async disconnect(conn) {
      if (live === conn) live = undefined
      conn.reader.disconnect()
      conn.writer.disconnect()
    },
  })
}

export const redisListInputPlugin = defineInput({
  name: 'redis_list',
  status: 'stable',
  categories: ['Services'],
  summary: 'Pops messages from the beginning of a Redis list using the BLPop command.',
  description:
    'Each item is moved atomically onto a processing list (BLMOVE, Redis 6.2+) and removed from it once its message was delivered, so an item is never lost when the process dies; on start, items an earlier run left in the processing list go back to the head of the list. `command: brpop` pops from the tail instead. Several consumers of one list need distinct `processing_key`s. With `kind: cluster` both keys must share a hash slot (`{jobs}` and `{jobs}:processing`).',
  fields,
  create: redisListInput,
})
