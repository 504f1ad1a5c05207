import { describe, expect, test } from 'vitest'
import { lintStreamConfig } from '../run.ts'
import { componentSchema } from '../spec.ts'
import { standardEnvironment } from '../standard.ts'
import { processorPlugins } from './processors.ts'

const issue4 = [
  'branch',
  'switch',
  'catch',
  'try',
  'log',
  'split',
  'dedupe',
  'cache',
  'rate_limit',
  'sleep',
  'noop',
  'group_by',
  'group_by_value',
  'archive',
  'unarchive',
  'compress',
  'decompress',
  'jmespath',
  'json_schema',
  'parallel',
  'while',
  'workflow',
  'bounds_check',
  'for_each',
  'select_parts',
  'sync_response',
  'retry',
  'processors',
  'resource',
  'insert_part',
]

describe('standard processors', () => {
  test('every processor of issue 4 is registered, with a JSON schema', () => {
    const names = processorPlugins.map((p) => p.spec.name)
    for (const name of issue4) expect(names).toContain(name)
    for (const p of processorPlugins) expect(componentSchema(p.spec)).toBeTypeOf('object')
  })

  test('a pipeline using them lints clean; mistakes are found with their paths', () => {
    const env = standardEnvironment()
    const good = `
pipeline:
  processors:
    - branch:
        request_map: 'root = this.id'
        processors:
          - cache: { resource: c, operator: get, key: '\${! content() }' }
        result_map: 'root.doc = this'
    - switch:
        - check: this.type == "a"
          processors: [ { noop: {} } ]
          fallthrough: true
        - processors: [ { log: { message: hi } } ]
    - catch: [ { mapping: 'root = deleted()' } ]
    - try: [ { sleep: { duration: 1ms } } ]
    - workflow:
        order: [ [ a ] ]
        branches:
          a: { processors: [ { jmespath: { query: a } } ] }
    - retry:
        backoff: { initial_interval: 1s }
        processors: [ { resource: foo } ]
    - unarchive: { format: 'csv:;' }
    - archive: { format: tar, path: '\${! batch_index() }' }
cache_resources: [ { label: c, memory: {} } ]
processor_resources: [ { label: foo, noop: {} } ]
`
    expect(lintStreamConfig(good, env)).toEqual([])
    const bad = `
pipeline:
  processors:
    - dedupe: { cache: c, key: k, strategy: RANDOM }
    - compress: { algorithm: zip }
    - while: { check: 'true' }
cache_resources: [ { label: c, memory: {} } ]
`
    expect(lintStreamConfig(bad, env).map((p) => `${p.path}: ${p.message.split(',')[0]}`)).toEqual([
      'pipeline.processors.0.dedupe.strategy: "RANDOM" is not one of FIFO',
      'pipeline.processors.1.compress.algorithm: "zip" is not one of flate',
      'pipeline.processors.2.while.processors: field processors is required',
    ])
  })
})
