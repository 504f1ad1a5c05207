import { eventually } from '@bento-ts/test-services'
import { expect, test } from 'vitest'
import {
  brokers,
  capturedOf,
  captureOf,
  committedOffsets,
  createTopic,
  produce,
  run,
  uniqueTopic,
} from './helpers.ts'

const config = (topic: string, group: string, capture: string) => `
input:
  kafka:
    addresses: [ "${brokers()}" ]
    topics: [ ${topic} ]
    consumer_group: ${group}
    commit_period: 100ms
output:
  capture: ${capture}
`

test('a nacked message is delivered again', async () => {
  const topic = uniqueTopic('nack')
  await createTopic(topic, 1)
  await produce(
    topic,
    Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
  )
  let refused = 0
  captureOf('nack').refuse = (m) => {
    if (m.text() === 'v5' && refused < 3) {
      refused++
      return true
    }
    return false
  }
  const stream = await run(config(topic, 'g-nack', 'nack'))
  await eventually(() => capturedOf('nack').length, {
    what: 'all ten',
    until: (n) => n >= 10,
    timeoutMs: 60_000,
  })
  await stream.stop(5000)
  expect(refused).toBe(3)
  expect(
    capturedOf('nack')
      .map((m) => m.text())
      .sort(),
  ).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort())
  // every message acknowledged: the group committed past all of them
  expect((await committedOffsets('g-nack', topic)).get(0)).toBe(10)
})

test('offsets are never committed past a message still failing; a restart sees it again', async () => {
  const topic = uniqueTopic('hold')
  const group = `g-${topic}`
  await createTopic(topic, 1)
  await produce(
    topic,
    Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
  )
  // v3 always fails: everything else is delivered around it.
  captureOf('hold-1').refuse = (m) => m.text() === 'v3'
  const first = await run(config(topic, group, 'hold-1'))
  await eventually(() => capturedOf('hold-1').length, {
    what: 'nine delivered',
    until: (n) => n >= 9,
    timeoutMs: 60_000,
  })
  // Several commit periods pass: the commit point must stay at v3's offset.
  await new Promise((r) => setTimeout(r, 1000))
  expect((await committedOffsets(group, topic)).get(0)).toBe(3)
  await first.stop(2000)
  expect(capturedOf('hold-1').map((m) => m.text())).not.toContain('v3')
  expect((await committedOffsets(group, topic)).get(0)).toBe(3)

  // A new run of the same group starts at v3: it is delivered at last (the later ones again too).
  const second = await run(config(topic, group, 'hold-2'))
  await eventually(() => capturedOf('hold-2').length, {
    what: 'v3 and after',
    until: (n) => n >= 7,
    timeoutMs: 60_000,
  })
  await second.stop(5000)
  // (order across messages is not promised with max_in_flight > 1: compare as a set)
  expect(
    capturedOf('hold-2')
      .map((m) => m.text())
      .sort(),
  ).toEqual(['v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9'])
  expect((await committedOffsets(group, topic)).get(0)).toBe(10)
})

test('checkpoint_limit 1 keeps a partition in lock-step order', async () => {
  const topic = uniqueTopic('order')
  await createTopic(topic, 2)
  const messages = []
  for (let i = 0; i < 200; i++) messages.push({ value: `${i % 2}-${i}`, partition: i % 2 })
  await produce(topic, messages)
  const stream = await run(`
input:
  kafka:
    addresses: [ "${brokers()}" ]
    topics: [ ${topic} ]
    consumer_group: g-${topic}
    checkpoint_limit: 1
pipeline:
  threads: 4
  processors:
    - sleep:
        duration: '\${! random_int(max: 2) }ms'
output:
  capture: order
  processors: []
`)
  await eventually(() => capturedOf('order').length, {
    what: 'all',
    until: (n) => n >= 200,
    timeoutMs: 60_000,
  })
  await stream.stop(5000)
  for (const p of [0, 1]) {
    const seen = capturedOf('order')
      .filter((m) => m.metadata.get('kafka_partition') === p)
      .map((m) => m.metadata.get('kafka_offset') as number)
    expect(seen).toEqual(seen.map((_, i) => i))
  }
})
