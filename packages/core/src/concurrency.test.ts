import { expect, test } from 'vitest'
import { Slots } from './concurrency.ts'

test('a wait for a place leaves nothing behind on the signal once it is served', async () => {
  const slots = new Slots(1)
  const controller = new AbortController()
  let listeners = 0
  const signal = controller.signal
  const add = signal.addEventListener.bind(signal)
  const remove = signal.removeEventListener.bind(signal)
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    listeners++
    add(...args)
  }) as typeof add
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    listeners--
    remove(...args)
  }) as typeof remove

  expect(slots.acquire(signal)).toBeUndefined()
  for (let i = 0; i < 1000; i++) {
    const waiting = slots.acquire(signal)!
    slots.release()
    expect(await waiting).toBe(true)
  }
  expect(listeners).toBe(0)
})

test('an aborted wait takes no place', async () => {
  const slots = new Slots(1)
  const controller = new AbortController()
  expect(slots.acquire()).toBeUndefined()
  const waiting = slots.acquire(controller.signal)!
  controller.abort()
  expect(await waiting).toBe(false)
  slots.release()
  expect(slots.available).toBe(1)
})
