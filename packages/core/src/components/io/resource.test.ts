import { describe, expect, test } from 'vitest'
import { silentLogger } from '../../logger.ts'
import { lintStreamConfig, loadResources, loadStreamConfig, startStream } from '../../run.ts'
import { recordingInput, recordingOutput, testEnvironment } from './testkit.ts'

describe('resource input and output', () => {
  test('a stream reads from and writes to declared resources', async () => {
    const source = recordingInput(['a', 'b', 'c'])
    const sink = recordingOutput()
    const { start } = testEnvironment({ inputs: { src: source.input }, outputs: { dst: sink.output } })
    const stream = await start(`
input: { resource: in }
output:
  broker:
    outputs:
      - resource: out
      - resource: out
input_resources:
  - label: in
    test_in: src
output_resources:
  - label: out
    test_out: dst
`)
    await stream.done
    // fan_out to the same resource twice: each message written twice.
    expect(sink.messages().sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c'])
    expect(source.acks.every((a) => a.error === undefined)).toBe(true)
  })

  test('an undeclared resource is a lint error where it is named, and a start-up error', async () => {
    const { env, start } = testEnvironment()
    const inputMissing = `
input: { resource: nope }
output: { drop: {} }
input_resources: [ { label: nape, generate: { mapping: 'root = 1', count: 1 } } ]
`
    expect(lintStreamConfig(inputMissing, env)).toEqual([
      {
        line: 2,
        column: 20,
        path: 'input.resource',
        message: 'input resource "nope" is not declared; add it to input_resources; did you mean "nape"?',
      },
    ])
    expect(() => start(inputMissing)).toThrow('input.resource: input resource "nope" is not declared')
    expect(() =>
      start(`
input: { generate: { mapping: 'root = 1', count: 1 } }
output: { resource: nope }
`),
    ).toThrow('output resource "nope" is not declared')
    // A config that bypasses lint (built from data) still does not start.
    const config = loadStreamConfig(
      "input: { generate: { mapping: 'root = 1', count: 1 } }\noutput: { drop: {} }",
      env,
    )
    config.pipeline.processors = [
      { type: 'resource', label: '', config: 'gone', processors: [], path: 'pipeline.processors.0.resource' },
    ]
    await expect(startStream(config, env, { logger: silentLogger })).rejects.toThrow(
      'pipeline.processors.0.resource: processor resource "gone" is not declared',
    )
  })

  test('resources from another file satisfy references', () => {
    const { env } = testEnvironment()
    const extra = loadResources('processor_resources: [ { label: shared, noop: {} } ]', env)
    const text = 'pipeline: { processors: [ { resource: shared } ] }'
    expect(lintStreamConfig(text, env).map((p) => p.path)).toEqual(['pipeline.processors.0.resource'])
    expect(lintStreamConfig(text, env, { extraResources: [extra] })).toEqual([])
  })
})
