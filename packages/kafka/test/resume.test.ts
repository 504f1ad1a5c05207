// Explicit partitions without a consumer group keep no offsets on the broker, yet a reconnect of
// the input (its connection closed, a new one made, as after a broken link) must go on after what
// was acknowledged: not read it all again from the oldest offset, nor skip, from the newest, what
// was written while it was away.
import { type AckFn, type ComponentContext, defaultsOf, type Input } from '@bento-ts/core'
import { componentContext } from '@bento-ts/test-services'
import { afterEach, expect, test } from 'vitest'
import { kafkaInput } from '../src/input.ts'
import { brokers, createTopic, produce, uniqueTopic } from './helpers.ts'

interface Read {
  at: string
  ack: AckFn
}

const open: Input[] = []
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((i) => i.close()))
})

async function kafkaWithoutGroup(topic: string, over: Record<string, unknown> = {}): Promise<Input> {
  const config = {
    ...defaultsOf(kafkaInput.spec.fields!),
    addresses: [brokers()],
    topics: [`${topic}:0-1`],
    consumer_group: '',
    ...over,
  } as never
  const input = await kafkaInput.create(config, await componentContext<ComponentContext>(import.meta.url))
  open.push(input)
  return input
}

/** Reads until `count` messages came (each as `partition:offset`), then `quietMs` longer for any extra. */
async function readSome(input: Input, count: number, quietMs = 1500): Promise<Read[]> {
  const got: Read[] = []
  const deadline = Date.now() + 30_000
  for (;;) {
    const wait = got.length >= count ? quietMs : deadline - Date.now()
    if (wait <= 0) break
    try {
      const { batch, ack } = await input.read(AbortSignal.timeout(wait))
      for (const m of batch)
        got.push({ at: `${m.metadata.get('kafka_partition')}:${m.metadata.get('kafka_offset')}`, ack })
    } catch (err) {
      if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') break
      throw err
    }
  }
  return got
}

const offsets = (partition: number, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${partition}:${from + i}`)

const reconnect = async (input: Input) => {
  await input.close()
  await input.connect(AbortSignal.timeout(30_000))
}

test('from the oldest: a reconnect resumes at the first message not acknowledged, late acks count', async () => {
  const topic = uniqueTopic('resume-oldest')
  await createTopic(topic, 3)
  const values = (p: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ value: `${p}-${i}`, partition: p }))
  await produce(topic, [...values(0, 10), ...values(1, 10), ...values(2, 10)])
  const input = await kafkaWithoutGroup(topic)
  await input.connect(AbortSignal.timeout(30_000))

  const first = await readSome(input, 20)
  expect(first.map((r) => r.at).sort()).toEqual([...offsets(0, 0, 10), ...offsets(1, 0, 10)].sort())
  // Everything but 0:4 and 1:7 is delivered: 0:5… and 1:8… are past the commit points.
  const held = first.filter((r) => r.at === '0:4' || r.at === '1:7')
  expect(held).toHaveLength(2)
  for (const r of first) if (!held.includes(r)) await r.ack()

  await input.close()
  // 0:4's ack arrives after its connection closed: it still counts.
  await held.find((r) => r.at === '0:4')!.ack()
  await input.connect(AbortSignal.timeout(30_000))
  const second = await readSome(input, 3)
  expect(second.map((r) => r.at).sort()).toEqual(offsets(1, 7, 10))
  for (const r of second) await r.ack()

  await reconnect(input)
  await produce(topic, [
    { value: 'late-0', partition: 0 },
    { value: 'late-1', partition: 1 },
  ])
  const third = await readSome(input, 2)
  expect(third.map((r) => r.at).sort()).toEqual(['0:10', '1:10'])
}, 120_000)

test('from the newest: what was written while the input reconnected is read, nothing before', async () => {
  const topic = uniqueTopic('resume-newest')
  await createTopic(topic, 2)
  await produce(topic, [
    { value: 'old', partition: 0 },
    { value: 'old', partition: 1 },
  ])
  const input = await kafkaWithoutGroup(topic, { start_from_oldest: false })
  await input.connect(AbortSignal.timeout(30_000))
  await produce(topic, [{ value: 'a', partition: 0 }])
  const first = await readSome(input, 1)
  expect(first.map((r) => r.at)).toEqual(['0:1'])
  for (const r of first) await r.ack()

  await input.close()
  // Written while no connection is open: a new one must not start past these.
  await produce(topic, [
    { value: 'b', partition: 0 },
    { value: 'c', partition: 1 },
  ])
  await input.connect(AbortSignal.timeout(30_000))
  const second = await readSome(input, 2)
  expect(second.map((r) => r.at).sort()).toEqual(['0:2', '1:1'])
}, 120_000)
