// How the Redis outputs tell the runtime what a written batch did: an error answer or a message
// no command could be made for fails only the messages concerned; a broken link fails the batch
// as NotConnected (written again after reconnecting).
import { BatchError, Message, NotConnected } from '@bento-ts/core'
import { interpolation } from '@bento-ts/core/kit'
import { ReplyError } from 'ioredis'
import { describe, expect, test } from 'vitest'
import type { RedisClient } from './client.ts'
import { type Command, perMessage, writeBatch } from './output.ts'

/** A client answering each command with `answer` (a thrown error is a failed command). */
function clientAnswering(answer: (command: Command) => unknown) {
  const sent: Command[] = []
  const settle = (command: Command): [Error | null, unknown] => {
    sent.push(command)
    try {
      return [null, answer(command)]
    } catch (err) {
      return [err as Error, null]
    }
  }
  const client = {
    async call(...command: Command) {
      const [err, value] = settle(command)
      if (err !== null) throw err
      return value
    },
    pipeline() {
      const queued: Command[] = []
      return {
        call: (...command: Command) => queued.push(command),
        exec: async () => queued.map(settle),
      }
    },
  }
  return { client: client as unknown as RedisClient, sent }
}

const signal = new AbortController().signal
const channel = interpolation('channel', '${! meta("to").not_null() }')
const publish = perMessage((message, i, view) => ['PUBLISH', channel.text(view, i), message.text()])
const batchOf = (...targets: (string | undefined)[]) =>
  targets.map((to, i) => new Message(`m${i}`, to === undefined ? [] : [['to', to]]))

describe('writeBatch', () => {
  test('an error answer fails only its message: a BatchError naming it', async () => {
    const { client, sent } = clientAnswering(([, key]) => {
      if (key === 'bad')
        throw new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value')
      return 1
    })
    const batch = batchOf('a', 'bad', 'c')
    const err = await writeBatch(client, batch, publish, 'redis_pubsub', signal).catch((e) => e)
    expect(err).toBeInstanceOf(BatchError)
    expect([...(err as BatchError).failures.keys()]).toEqual([batch[1]])
    expect((err as BatchError).failures.get(batch[1]!)!.message).toMatch(/^redis_pubsub: WRONGTYPE/)
    expect(sent.map((c) => c[1])).toEqual(['a', 'bad', 'c'])
  })

  test('a message whose interpolation fails is not sent; the others are', async () => {
    const { client, sent } = clientAnswering(() => 1)
    const batch = [new Message('m0', [['to', 'a']]), new Message('m1'), new Message('m2', [['to', 'c']])]
    const err = await writeBatch(client, batch, publish, 'redis_pubsub', signal).catch((e) => e)
    expect(err).toBeInstanceOf(BatchError)
    expect([...(err as BatchError).failures.keys()]).toEqual([batch[1]])
    expect((err as BatchError).failures.get(batch[1]!)!.message).toMatch(/^channel interpolation error: /)
    expect(sent.map((c) => c[1])).toEqual(['a', 'c'])
  })

  test('a batch of one fails with the error itself', async () => {
    const { client } = clientAnswering(() => {
      throw new ReplyError('ERR nope')
    })
    const err = await writeBatch(client, batchOf('a'), publish, 'redis_pubsub', signal).catch((e) => e)
    expect(err).not.toBeInstanceOf(BatchError)
    expect((err as Error).message).toBe('redis_pubsub: ERR nope')
  })

  test('a broken link fails the whole batch as NotConnected, whatever else was answered', async () => {
    const { client } = clientAnswering(([, key]) => {
      if (key === 'a') throw new ReplyError('ERR nope')
      if (key === 'b') throw new Error('Connection is closed.')
      return 1
    })
    await expect(writeBatch(client, batchOf('a', 'b', 'c'), publish, 'redis_pubsub', signal)).rejects.toThrow(
      NotConnected,
    )
  })

  test('every message written: no error', async () => {
    const { client, sent } = clientAnswering(() => 1)
    await writeBatch(client, batchOf('a', 'b'), publish, 'redis_pubsub', signal)
    expect(sent).toHaveLength(2)
  })
})
