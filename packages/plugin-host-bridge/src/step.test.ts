import { createMetrics, silentLogger, standardEnvironment } from '@bento-ts/core'
import { describe, expect, it } from 'vitest'
import { withoutInternalKeys } from './messaging.ts'
import { processorList } from './processors.ts'
import { BentoStep, toOutput } from './step.ts'

const env = standardEnvironment()
const step = (config: Record<string, unknown>) =>
  BentoStep.create('t', config as never, env, silentLogger, createMetrics())

describe('processorList', () => {
  it('reads a YAML string, a map or a list', () => {
    expect(processorList("mapping: 'root = this'")).toEqual([{ mapping: 'root = this' }])
    expect(processorList('- mapping: a\n- mapping: b')).toEqual([{ mapping: 'a' }, { mapping: 'b' }])
    expect(processorList({ mapping: 'x' })).toEqual([{ mapping: 'x' }])
    expect(processorList([{ mapping: 'x' }])).toEqual([{ mapping: 'x' }])
    expect(processorList(undefined)).toEqual([])
    expect(processorList('  ')).toEqual([])
  })

  it('says what is wrong with anything else', () => {
    expect(() => processorList(true)).toThrow('processors: must be a YAML string, a map')
    expect(() => processorList('just words')).toThrow('processors: expected a processor')
    expect(() => processorList('a: [')).toThrow('processors: invalid YAML')
  })
})

describe('BentoStep', () => {
  it('runs processors over trigger data merged with current data', async () => {
    const s = await step({ processors: "mapping: 'root.sum = this.a + this.b'" })
    expect(await s.execute({ triggerData: { a: 1, b: 5 }, current: { b: 2 } })).toEqual({
      output: { sum: 3 },
    })
  })

  it('gives {} for a dropped message and the first message of a split', async () => {
    const dropped = await step({ processors: "mapping: 'root = deleted()'" })
    expect(await dropped.execute({ current: {} })).toEqual({ output: {} })
  })

  it('fails at creation for bad processors, naming the step', async () => {
    await expect(step({ processors: { nope: {} } })).rejects.toThrow(/^step\.bento "t": processors\.0/)
  })
})

describe('helpers', () => {
  it('wraps non-object results', () => {
    expect(toOutput('{"a":1}')).toEqual({ a: 1 })
    expect(toOutput('plain')).toEqual({ output: 'plain' })
    expect(toOutput('5')).toEqual({ output: 5 })
    expect(toOutput('null')).toEqual({ output: null })
  })

  it('drops host-internal keys', () => {
    expect(withoutInternalKeys({ _config_dir: '/x', input: {}, __y: 1 })).toEqual({ input: {} })
    expect(withoutInternalKeys(undefined)).toEqual({})
  })
})
