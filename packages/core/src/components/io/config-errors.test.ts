import { describe, expect, test } from 'vitest'
import { testEnvironment } from './testkit.ts'

// A config value a component cannot work with fails the start with the value's config path.
const input = "input: { generate: { mapping: 'root = 1', count: 1 } }"
const output = 'output: { drop: {} }'
const cases: { name: string; yaml: string; error: string }[] = [
  {
    name: 'generate mapping',
    yaml: `input: { generate: { mapping: 'root = (', count: 1 } }\n${output}`,
    error: 'input.generate.mapping: ',
  },
  {
    name: 'generate interval',
    yaml: `input: { generate: { mapping: 'root = 1', interval: 'soon' } }\n${output}`,
    error: 'input.generate.interval: ',
  },
  {
    name: 'stdin scanner',
    yaml: `input: { stdin: { scanner: { lines: {}, to_the_end: {} } } }\n${output}`,
    error: 'input.stdin.scanner: scanner must name exactly one scanner, found lines, to_the_end',
  },
  {
    name: 'file input codec',
    yaml: `input: { file: { paths: [ x ], codec: nope } }\n${output}`,
    error: 'input.file.codec: codec was not recognised: nope',
  },
  {
    name: 'broker input without inputs',
    yaml: `input: { broker: { inputs: [] } }\n${output}`,
    error: 'input.broker.inputs: attempting to create broker input type with no inputs',
  },
  {
    name: 'stdout codec',
    yaml: `${input}\noutput: { stdout: { codec: nope } }`,
    error: 'output.stdout.codec: codec was not recognised: nope',
  },
  {
    name: 'file output path',
    yaml: `${input}\noutput: { file: { path: '\${! nope( }' } }`,
    error: 'output.file.path: ',
  },
  {
    name: 'broker output without outputs',
    yaml: `${input}\noutput: { broker: { outputs: [] } }`,
    error: 'output.broker.outputs: attempting to create broker output type with no outputs',
  },
  {
    name: 'switch case check',
    yaml: `${input}\noutput: { switch: { cases: [ { output: { drop: {} } }, { check: 'this.(', output: { drop: {} } } ] } }`,
    error: 'output.switch.cases.1.check: ',
  },
  {
    name: 'switch with one case',
    yaml: `${input}\noutput: { switch: { cases: [ { output: { drop: {} } } ] } }`,
    error: 'output.switch.cases: attempting to create switch with fewer than 2 cases',
  },
  {
    name: 'drop_on error pattern',
    yaml: `${input}\noutput: { drop_on: { error_patterns: [ '(' ], output: { drop: {} } } }`,
    error: 'output.drop_on.error_patterns.0: ',
  },
  {
    name: 'drop_on error with patterns',
    yaml: `${input}\noutput: { drop_on: { error: true, error_patterns: [ x ], output: { drop: {} } } }`,
    error: "output.drop_on.error_patterns: field 'error_patterns' is ineffective",
  },
  {
    name: 'retry backoff',
    yaml: `${input}\noutput: { retry: { backoff: { max_interval: 'later' }, output: { drop: {} } } }`,
    error: 'output.retry.backoff.max_interval: ',
  },
  {
    name: 'lru cap',
    yaml: `${input}\n${output}\ncache_resources: [ { label: c, lru: { cap: 0 } } ]`,
    error: 'lru.cap: invalid lru cache parameter capacity: must be bigger than 0',
  },
  {
    name: 'memory compaction_interval',
    yaml: `${input}\n${output}\ncache_resources: [ { label: c, memory: { compaction_interval: 'often' } } ]`,
    error: 'memory.compaction_interval: ',
  },
  {
    name: 'local rate limit',
    yaml: `${input}\n${output}\nrate_limit_resources: [ { label: r, local: { count: 0 } } ]`,
    error: 'local.count: either count or byte size must be larger than zero',
  },
]

describe('config errors of core inputs, outputs, caches and rate limits', () => {
  test.each(cases)('$name', async ({ yaml, error }) => {
    const { start } = testEnvironment()
    // Resources are built on first use: the stream's own components use them at start.
    await expect(Promise.resolve().then(() => start(yaml))).rejects.toThrow(error)
  })
})
