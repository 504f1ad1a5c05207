import { describe, expect, test } from 'vitest'
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

  test('an undeclared resource is a start-up error', async () => {
    const { start } = testEnvironment()
    await expect(
      start(`
input: { resource: nope }
output: { drop: {} }
`),
    ).rejects.toThrow("input resource 'nope' was not found")
    await expect(
      start(`
input: { generate: { mapping: 'root = 1', count: 1 } }
output: { resource: nope }
`),
    ).rejects.toThrow("output resource 'nope' was not found")
  })
})
