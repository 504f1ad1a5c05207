import { expect, test } from 'vitest'
import { PartitionCheckpointer } from './checkpoint.ts'

test('nothing is committable before the first acknowledgement', () => {
  const c = new PartitionCheckpointer()
  c.track(10)
  expect(c.committable).toBe(-1)
  expect(c.inFlight).toBe(1)
})

test('in-order acks move the commit point one past each offset', () => {
  const c = new PartitionCheckpointer()
  const a = c.track(0)
  const b = c.track(1)
  expect(c.resolve(a)).toBe(true)
  expect(c.committable).toBe(1)
  expect(c.resolve(b)).toBe(true)
  expect(c.committable).toBe(2)
  expect(c.inFlight).toBe(0)
})

test('the commit point never passes a message still under way', () => {
  const c = new PartitionCheckpointer()
  const tickets = [5, 6, 7, 8, 9].map((o) => c.track(o))
  // 6..9 acknowledged, 5 not: nothing may be committed.
  for (const t of tickets.slice(1)) expect(c.resolve(t)).toBe(false)
  expect(c.committable).toBe(-1)
  expect(c.inFlight).toBe(1)
  // 5 acknowledged: everything up to 9 at once.
  expect(c.resolve(tickets[0]!)).toBe(true)
  expect(c.committable).toBe(10)
})

test('a hole in the middle holds the commit point at the hole', () => {
  const c = new PartitionCheckpointer()
  const t = [0, 1, 2, 3].map((o) => c.track(o))
  c.resolve(t[0]!)
  c.resolve(t[2]!)
  c.resolve(t[3]!)
  expect(c.committable).toBe(1)
  c.resolve(t[1]!)
  expect(c.committable).toBe(4)
})

test('gaps in offsets (compaction, transaction markers) are fine', () => {
  const c = new PartitionCheckpointer()
  const a = c.track(3)
  const b = c.track(17)
  c.resolve(b)
  expect(c.committable).toBe(-1)
  c.resolve(a)
  expect(c.committable).toBe(18)
})

test('a batch is one entry covering several messages', () => {
  const c = new PartitionCheckpointer()
  const a = c.track(9, 10)
  expect(c.inFlight).toBe(10)
  c.resolve(a)
  expect(c.committable).toBe(10)
  expect(c.inFlight).toBe(0)
})

test('repeated and unknown tickets change nothing', () => {
  const c = new PartitionCheckpointer()
  const a = c.track(0)
  const b = c.track(1)
  c.resolve(b)
  c.resolve(b)
  expect(c.inFlight).toBe(1)
  c.resolve(a)
  expect(c.resolve(a)).toBe(false)
  expect(c.resolve(99)).toBe(false)
  expect(c.committable).toBe(2)
  expect(c.inFlight).toBe(0)
})

test('the ring grows past its capacity and keeps every entry', () => {
  const c = new PartitionCheckpointer(4)
  const tickets: number[] = []
  for (let o = 0; o < 1000; o++) tickets.push(c.track(o))
  expect(c.inFlight).toBe(1000)
  // acknowledge all but the first in reverse order, then the first
  for (let i = tickets.length - 1; i > 0; i--) c.resolve(tickets[i]!)
  expect(c.committable).toBe(-1)
  c.resolve(tickets[0]!)
  expect(c.committable).toBe(1000)
  expect(c.inFlight).toBe(0)
})

test('random acknowledgement orders always commit exactly the acknowledged prefix', () => {
  let seed = 42
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  for (let round = 0; round < 50; round++) {
    const c = new PartitionCheckpointer(2)
    const n = 1 + Math.floor(random() * 200)
    const tickets = Array.from({ length: n }, (_, i) => c.track(i * 2))
    const order = tickets.map((_, i) => i).sort(() => random() - 0.5)
    const acked = new Set<number>()
    for (const i of order) {
      c.resolve(tickets[i]!)
      acked.add(i)
      let prefix = 0
      while (acked.has(prefix)) prefix++
      expect(c.committable).toBe(prefix === 0 ? -1 : (prefix - 1) * 2 + 1)
    }
  }
})
