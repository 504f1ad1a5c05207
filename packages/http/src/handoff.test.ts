import { EndOfInput, Message } from '@bento-ts/core'
import { expect, test } from 'vitest'
import { Handoff, type Transaction } from './handoff.ts'

const tx = (text: string): Transaction => ({
  batch: [new Message(text)],
  ack: async () => {},
  taken: false,
  dead: false,
  onTaken: undefined,
})

test('transactions are read in order, dead ones skipped, onTaken called', async () => {
  const h = new Handoff()
  const a = tx('a')
  const b = tx('b')
  const c = tx('c')
  let taken = 0
  c.onTaken = () => taken++
  h.offer(a)
  h.offer(b)
  h.offer(c)
  b.dead = true
  const signal = new AbortController().signal
  expect((await h.take(signal)).batch[0]!.text()).toBe('a')
  expect((await h.take(signal)).batch[0]!.text()).toBe('c')
  expect(taken).toBe(1)
  expect(c.taken).toBe(true)
})

test('a waiting reader gets the next offer; abort and close end waits', async () => {
  const h = new Handoff()
  const controller = new AbortController()
  const waiting = h.take(controller.signal)
  h.offer(tx('x'))
  expect((await waiting).batch[0]!.text()).toBe('x')
  const aborted = h.take(controller.signal)
  controller.abort(new Error('stop'))
  await expect(aborted).rejects.toThrow('stop')
  const pending = tx('left')
  h.offer(pending)
  const blocked = new Handoff()
  const reading = blocked.take(new AbortController().signal)
  blocked.close()
  await expect(reading).rejects.toBeInstanceOf(EndOfInput)
  expect(h.close()).toEqual([pending])
  expect(h.offer(tx('late'))).toBe(false)
  await expect(h.take(new AbortController().signal)).rejects.toBeInstanceOf(EndOfInput)
})
