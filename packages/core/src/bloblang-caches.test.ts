import { expect, test } from 'vitest'
import { offerCache } from './bloblang-caches.ts'
import type { Cache } from './component.ts'
import { recordingOutput, testEnvironment } from './components/io/testkit.ts'

test("Bloblang's cache functions reach the stream's cache_resources", async () => {
  const sink = recordingOutput()
  const { start } = testEnvironment({ outputs: { out: sink.output } })
  const stream = await start(`
input: { generate: { count: 3, mapping: 'root = counter()' } }
pipeline:
  threads: 1
  processors:
    - mutation: 'meta stored = cache_set(resource: "mem", key: content().string(), value: "v" + content().string())'
    - mapping: |
        root.got = cache_get(resource: "mem", key: content().string()).string()
        root.added = cache_add(resource: "lru", key: "k", value: "x").catch("taken")
cache_resources:
  - { label: mem, memory: {} }
  - { label: lru, lru: {} }
output: { test_out: out }
`)
  await stream.done
  expect(sink.messages()).toEqual([
    '{"added":null,"got":"v1"}',
    '{"added":"taken","got":"v2"}',
    '{"added":"taken","got":"v3"}',
  ])
})

test('a cache without an immediate face is named in the error; a closed stream withdraws its caches', async () => {
  const remote: Cache = {
    get: async () => new Uint8Array(),
    set: async () => {},
    add: async () => {},
    delete: async () => {},
  }
  const withdraw = offerCache('remote_only', remote)
  const sink = recordingOutput()
  const { start } = testEnvironment({ outputs: { out: sink.output } })
  const stream = await start(`
input: { generate: { count: 1, mapping: 'root = "a"' } }
pipeline:
  processors:
    - mapping: 'root = cache_get(resource: "remote_only", key: "a")'
    - catch: [ { mapping: 'root = error()' } ]
output: { test_out: out }
`)
  await stream.done
  withdraw()
  expect(sink.messages()[0]).toContain('cache resource "remote_only" cannot be used from Bloblang')
  const after = recordingOutput()
  const again = testEnvironment({ outputs: { out: after.output } })
  const second = await again.start(`
input: { generate: { count: 1, mapping: 'root = "a"' } }
pipeline:
  processors:
    - mapping: 'root = cache_get(resource: "mem", key: "1")'
    - catch: [ { mapping: 'root = error()' } ]
output: { test_out: out }
`)
  await second.done
  expect(after.messages()[0]).toContain('unable to locate resource: mem')
})
