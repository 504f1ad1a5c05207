// The PubAck window against a stand-in connection: what it publishes and how each answer settles.
import { BatchError, Message, NotConnected } from '@bento-ts/core'
import type { Msg, NatsConnection } from 'nats'
import { headers } from 'nats'
import { describe, expect, test } from 'vitest'
import type { Link } from './connection.ts'
import { Outbox } from './outbox.ts'
import { AckedPublisher, deliverBatch, pubAckError } from './publisher.ts'

const encoder = new TextEncoder()
/** one turn of the event loop: the outbox sends its burst */
const turn = () => new Promise((resolve) => setImmediate(resolve))

interface Sent {
  subject: string
  reply: string
}

function fakeConnection() {
  const sent: Sent[] = []
  let deliver: (msg: Msg) => void = () => {}
  const nc = {
    isClosed: () => false,
    publish(subject: string, _data: Uint8Array, options: { reply: string }) {
      if (subject === 'bad subject') throw new Error('invalid subject')
      sent.push({ subject, reply: options.reply })
    },
    subscribe(_subject: string, options: { callback: (err: unknown, msg: Msg) => void }) {
      deliver = (msg) => options.callback(null, msg)
      return { unsubscribe() {} }
    },
  } as unknown as NatsConnection
  const answer = (reply: string, body: string, status?: number) =>
    deliver({
      subject: reply,
      data: encoder.encode(body),
      headers: status === undefined ? undefined : headers(status, 'No Responders'),
    } as unknown as Msg)
  return { nc, sent, answer }
}

describe('AckedPublisher', () => {
  test('each publish gets its own reply subject and settles with its PubAck, in any order', async () => {
    const { nc, sent, answer } = fakeConnection()
    const p = new AckedPublisher(nc, new Outbox(nc), 'nats_jetstream', 5000)
    const first = p.publish('a', encoder.encode('1'))
    const second = p.publish('b', encoder.encode('2'))
    expect(sent).toEqual([])
    await turn()
    expect(sent.map((s) => s.subject)).toEqual(['a', 'b'])
    expect(sent[0]!.reply).not.toBe(sent[1]!.reply)
    expect(p.outstanding).toBe(2)
    answer(sent[1]!.reply, '{"stream":"S","seq":2}')
    await second
    answer(sent[0]!.reply, '{"stream":"S","seq":1,"duplicate":true}')
    await first
    expect(p.outstanding).toBe(0)
    p.close(new Error('closed'))
  })

  test('an error PubAck, a 503 and a bad subject reject with what went wrong', async () => {
    const { nc, sent, answer } = fakeConnection()
    const p = new AckedPublisher(nc, new Outbox(nc), 'nats_jetstream', 5000)
    const failed = p.publish('a', encoder.encode('1'))
    await turn()
    answer(
      sent[0]!.reply,
      '{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}',
    )
    await expect(failed).rejects.toThrow(
      'nats_jetstream: publish to a failed: maximum messages exceeded (code 503, err_code 10077)',
    )
    const unheard = p.publish('nobody.here', encoder.encode('1'))
    await turn()
    answer(sent[1]!.reply, '', 503)
    await expect(unheard).rejects.toThrow('nats_jetstream: no stream is listening on subject nobody.here')
    await expect(p.publish('bad subject', encoder.encode('1'))).rejects.toThrow(
      'nats_jetstream: publish to bad subject: invalid subject',
    )
    await expect(p.publish('', encoder.encode('1'))).rejects.toThrow('empty subject')
    expect(p.outstanding).toBe(0)
    p.close(new Error('closed'))
  })

  test('a PubAck that never comes times out; a late one is ignored', async () => {
    const { nc, sent, answer } = fakeConnection()
    const p = new AckedPublisher(nc, new Outbox(nc), 'nats_kv', 150)
    const lost = p.publish('a', encoder.encode('1'))
    await turn()
    await expect(lost).rejects.toThrow('nats_kv: timed out waiting for the PubAck of a message to a')
    answer(sent[0]!.reply, '{"stream":"S","seq":1}')
    expect(p.outstanding).toBe(0)
    p.close(new Error('closed'))
  })

  test('failAll rejects what is outstanding (the connection dropped)', async () => {
    const { nc } = fakeConnection()
    const p = new AckedPublisher(nc, new Outbox(nc), 'nats_jetstream', 5000)
    const a = p.publish('a', encoder.encode('1'))
    const b = p.publish('b', encoder.encode('1'))
    p.failAll(new Error('connection lost'))
    await expect(a).rejects.toThrow('connection lost')
    await expect(b).rejects.toThrow('connection lost')
    expect(p.outstanding).toBe(0)
    p.close(new Error('closed'))
  })
})

test('pubAckError: success needs a stream', () => {
  const msg = (body: string) => ({ data: encoder.encode(body), headers: undefined }) as unknown as Msg
  expect(pubAckError('c', 's', msg('{"stream":"S","seq":1}'))).toBeUndefined()
  expect(pubAckError('c', 's', msg(' {"seq":1, "stream":"S"}'))).toBeUndefined()
  expect(pubAckError('c', 's', msg('{"seq":1}'))?.message).toBe('c: publish to s: invalid PubAck')
  expect(pubAckError('c', 's', msg('garbage'))?.message).toMatch(/unreadable PubAck/)
})

/** A stand-in link: up until `close()`d, and a `drop()` that comes back up at once. */
function fakeLink() {
  let closed = false
  return {
    link: {
      get up() {
        return !closed
      },
      get closed() {
        return closed
      },
      whenUp: async () => {
        if (closed) throw new NotConnected('nats connection closed')
      },
    } as unknown as Link,
    close: () => {
      closed = true
    },
  }
}

describe('deliverBatch', () => {
  const batch = () => [new Message('a'), new Message('b'), new Message('c')]

  test('only the messages that failed are named: a BatchError, so the stored ones are not sent again', async () => {
    const b = batch()
    const err = await deliverBatch(
      fakeLink().link,
      b,
      (i) => (i === 1 ? Promise.reject(new Error('no stream')) : Promise.resolve()),
      new AbortController().signal,
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BatchError)
    expect([...(err as BatchError).failures.keys()]).toEqual([b[1]])
    expect((err as BatchError).failures.get(b[1]!)!.message).toBe('no stream')
  })

  test('a publish that cannot start fails alone; when every message failed, the batch fails with the error', async () => {
    const b = batch()
    const err = await deliverBatch(
      fakeLink().link,
      b,
      (i) => {
        if (i === 2) throw new Error('bad key')
        return Promise.resolve()
      },
      new AbortController().signal,
    ).catch((e: unknown) => e)
    expect([...(err as BatchError).failures.keys()]).toEqual([b[2]])
    await expect(
      deliverBatch(
        fakeLink().link,
        [new Message('x')],
        () => Promise.reject(new Error('no stream listening')),
        new AbortController().signal,
      ),
    ).rejects.toThrow('no stream listening')
    await expect(
      deliverBatch(fakeLink().link, b, () => Promise.resolve(), new AbortController().signal),
    ).resolves.toBeUndefined()
  })

  test('publishes whose PubAck the dropped connection lost are sent again, and only those', async () => {
    const sends: number[] = []
    let lostOnce = true
    await deliverBatch(
      fakeLink().link,
      batch(),
      (i) => {
        sends.push(i)
        if (i === 0 && lostOnce) {
          lostOnce = false
          return Promise.reject(new NotConnected('connection lost before the PubAck'))
        }
        return Promise.resolve()
      },
      new AbortController().signal,
    )
    expect(sends).toEqual([0, 1, 2, 0])
  })

  test('a connection closed for good: NotConnected when nothing was stored, else a BatchError of the rest', async () => {
    const f = fakeLink()
    const b = batch()
    const err = await deliverBatch(
      f.link,
      b,
      (i) => {
        if (i === 0) return Promise.resolve()
        f.close()
        return Promise.reject(new NotConnected('connection closed'))
      },
      new AbortController().signal,
    ).catch((e: unknown) => e)
    expect([...(err as BatchError).failures.keys()]).toEqual([b[1], b[2]])
    await expect(
      deliverBatch(f.link, [new Message('x')], () => Promise.resolve(), new AbortController().signal),
    ).rejects.toBeInstanceOf(NotConnected)
  })
})
