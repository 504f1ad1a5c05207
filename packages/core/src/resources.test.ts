import { expect, test } from 'vitest'
import { recordingOutput, testEnvironment } from './components/io/testkit.ts'
import { loadResources, loadStreamConfig, withResources } from './run.ts'
import { standardEnvironment } from './standard.ts'

const env = standardEnvironment()

test('a resources file adds its resources to the stream config', () => {
  const config = loadStreamConfig('output:\n  drop: {}\n', env, { vars: {} })
  const extra = loadResources('cache_resources:\n  - label: seen\n    memory: {}\n', env, { vars: {} })
  const merged = withResources(config, [extra])
  expect(merged.cache_resources.map((c) => [c.label, c.type])).toEqual([['seen', 'memory']])
})

test('a label declared twice is an error naming both places', () => {
  const config = loadStreamConfig('cache_resources:\n  - label: seen\n    memory: {}\n', env, { vars: {} })
  const extra = loadResources('cache_resources:\n  - label: seen\n    lru: {}\n', env, { vars: {} })
  expect(() => withResources(config, [extra])).toThrow(
    'cache_resources: label "seen" is declared twice (cache_resources.0.memory and cache_resources.0.lru)',
  )
})

test('a resources file accepts only resources, with positions on problems', () => {
  expect(() => loadResources('input:\n  stdin: {}\n', env, { file: 'res.yaml', vars: {} })).toThrow(
    'res.yaml:1:1: input: field input is not recognised',
  )
})

test('an error raised inside a processor resource names that processor, not the resource call', async () => {
  const sink = recordingOutput()
  const { start } = testEnvironment({ outputs: { out: sink.output } })
  const stream = await start(`
input: { generate: { count: 1, mapping: 'root.bad = true' } }
pipeline:
  processors:
    - resource: failing
    - catch:
        - mapping: 'root = [error_source_label(), error_source_type()]'
processor_resources:
  - label: failing
    mapping: 'root = throw("nope")'
output: { test_out: out }
`)
  await stream.done
  expect(sink.messages()).toEqual(['["failing","mapping"]'])
})

test("a failed message keeps its error's source through later mappings; a resource's path is Bento's", async () => {
  const sink = recordingOutput()
  const { start } = testEnvironment({ outputs: { out: sink.output } })
  const stream = await start(`
input: { generate: { count: 1, mapping: 'root.n = 1' } }
pipeline:
  processors:
    - resource: failing
    - mutation: 'root.later = true'
    - mapping: 'root = this'
    - catch:
        - mapping: 'root = [error_source_label(), error_source_path(), this.later]'
processor_resources:
  - label: failing
    mapping: 'root = throw("nope")'
output: { test_out: out }
`)
  await stream.done
  expect(sink.messages()).toEqual(['["failing","processor_resources",true]'])
})

test('a workflow runs the branch processor resources its order names', async () => {
  const sink = recordingOutput()
  const { start } = testEnvironment({ outputs: { out: sink.output } })
  const stream = await start(`
input: { generate: { count: 1, mapping: 'root.x = "y"' } }
pipeline:
  processors:
    - workflow:
        order: [ [ up ] ]
processor_resources:
  - label: up
    branch:
      request_map: 'root = this.x'
      processors: [ { mapping: 'root = content().uppercase()' } ]
      result_map: 'root.up = content().string()'
output: { test_out: out }
`)
  await stream.done
  expect(sink.messages()).toEqual(['{"meta":{"workflow":{"succeeded":["up"]}},"up":"Y","x":"y"}'])
})
