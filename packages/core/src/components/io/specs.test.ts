// The io components' config specs: Bento's names and defaults, and configs that lint clean or not.

import { describe, expect, test } from 'vitest'
import { lintStreamConfig } from '../../run.ts'
import { defaultsOf } from '../../spec.ts'
import { standardEnvironment } from '../../standard.ts'
import { ioPlugins } from '../io.ts'
import { recordingOutput, testEnvironment } from './testkit.ts'

const env = standardEnvironment()
const spec = (kind: string, name: string) =>
  ioPlugins.find((p) => p.spec.kind === kind && p.spec.name === name)!.spec

describe('io specs', () => {
  test('defaults match Bento', () => {
    expect(defaultsOf(spec('input', 'stdin').fields!)).toEqual({
      max_buffer: 1000000,
      scanner: { lines: {} },
      auto_replay_nacks: true,
    })
    expect(defaultsOf(spec('output', 'broker').fields!)).toMatchObject({ copies: 1, pattern: 'fan_out' })
    expect(defaultsOf(spec('output', 'retry').fields!)).toEqual({
      max_retries: 0,
      backoff: { initial_interval: '500ms', max_interval: '3s', max_elapsed_time: '0s' },
    })
    expect(defaultsOf(spec('cache', 'memory').fields!)).toEqual({
      default_ttl: '5m',
      compaction_interval: '60s',
      init_values: {},
      shards: 1,
    })
    expect(defaultsOf(spec('cache', 'ttlru').fields!)).toMatchObject({ cap: 1024, default_ttl: '5m0s' })
    expect(defaultsOf(spec('cache', 'lru').fields!)).toMatchObject({ cap: 1000, algorithm: 'standard' })
    expect(defaultsOf(spec('rate_limit', 'local').fields!)).toEqual({
      count: 1000,
      byte_size: 0,
      interval: '1s',
    })
  })

  test('a config using every io component lints clean', () => {
    const problems = lintStreamConfig(
      `
input:
  broker:
    copies: 2
    inputs:
      - stdin: {}
      - file: { paths: [ "./a/**/*.txt" ], scanner: { lines: { custom_delimiter: "," } }, delete_on_finish: true }
      - inproc: foo
      - resource: other
    batching: { count: 10, period: 1s }
output:
  switch:
    strict_mode: true
    cases:
      - check: this.a == 1
        output:
          broker:
            pattern: round_robin
            outputs: [ { file: { path: "/tmp/\${! meta(\\"x\\") }", codec: "delim:\\t" } }, { inproc: bar } ]
      - output:
          fallback:
            - drop_on: { error: true, output: { retry: { max_retries: 3, output: { drop: {} } } } }
            - resource: out
input_resources:
  - label: other
    generate: { mapping: 'root = 1' }
output_resources:
  - label: out
    drop: {}
cache_resources:
  - { label: a, memory: { default_ttl: 10s, compaction_interval: "" } }
  - { label: b, lru: { cap: 10, init_values: { k: v } } }
  - { label: c, ttlru: { default_ttl: 1m } }
rate_limit_resources:
  - { label: r, local: { count: 10, interval: 100ms } }
`,
      env,
    )
    expect(problems).toEqual([])
  })

  test('wrong values are reported', () => {
    const problems = lintStreamConfig(
      `
input:
  file: { paths: [ x ], scanner: { tar: {} } }
output:
  broker: { pattern: fan_in, outputs: [] }
`,
      env,
    ).map((p) => `${p.path}: ${p.message}`)
    expect(problems.some((p) => p.startsWith('input.file.scanner.tar: field tar is not recognised'))).toBe(
      true,
    )
    expect(problems.some((p) => p.startsWith('output.broker.pattern: "fan_in" is not one of'))).toBe(true)
  })

  test('caches and rate limits are built from resources', async () => {
    const sink = recordingOutput()
    const { start } = testEnvironment({ outputs: { dst: sink.output } })
    const stream = await start(`
input: { generate: { mapping: 'root = "x"', count: 2, interval: "" } }
output: { test_out: dst }
cache_resources:
  - { label: a, memory: {} }
  - { label: b, lru: {} }
  - { label: c, ttlru: {} }
rate_limit_resources:
  - { label: r, local: {} }
`)
    await stream.done
    expect(sink.messages()).toEqual(['x', 'x'])
  })
})
