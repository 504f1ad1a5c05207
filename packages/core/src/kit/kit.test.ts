import { describe, expect, test } from 'vitest'
import { BatchError, EndOfInput, FieldError, NotConnected, parseField } from '../component.ts'
import { addPlugin, createEnvironment } from '../environment.ts'
import { silentLogger } from '../logger.ts'
import { Message } from '../message.ts'
import { loadStreamConfig, startStream } from '../run.ts'
import { field } from '../spec.ts'
import { standardEnvironment } from '../standard.ts'
import { addLazyPackage, catalogOf } from './catalog.ts'
import { defineInput, defineOutput } from './declare.ts'
import { autoReplayNacksField, batchingField, maxInFlightField } from './fields.ts'
import { inputSkeleton } from './input.ts'
import { interpolation } from './interpolation.ts'
import { outputSkeleton } from './output.ts'

// A source of numbered messages that records each message's ack, and a sink that fails chosen
// messages once: written on the kit, run by real stream configs.
function harness() {
  const acks: { id: string; error: string | undefined }[] = []
  const writes: string[][] = []
  const failOnce = new Set<string>()
  const connections: string[] = []
  const numbers = (count: number, perRead: number) => {
    let next = 0
    return {
      connect: async () => 'conn',
      disconnect: async () => {},
      read: async () => {
        if (next >= count) throw new EndOfInput()
        const batch = []
        const perMessage = []
        for (let i = 0; i < perRead && next < count; i++) {
          const id = String(next++)
          batch.push(new Message(id))
          perMessage.push(async (error?: Error) => {
            acks.push({ id, error: error?.message })
          })
        }
        return { batch, acks: perMessage }
      },
    }
  }
  const source = defineInput({
    name: 'numbers',
    summary: 'numbered messages, replayed when nacked',
    fields: [field.int('count'), field.int('per_read', { default: 1 }), autoReplayNacksField()],
    create: (config, context) => inputSkeleton(config, context, numbers(config.count, config.per_read)),
  })
  // A source that takes nacks back itself (as SQS or Pub/Sub do): no auto_replay_nacks field.
  const brokered = defineInput({
    name: 'brokered_numbers',
    summary: 'numbered messages, nacks go back to the source',
    fields: [field.int('count'), field.int('per_read', { default: 1 })],
    create: (config, context) => inputSkeleton(config, context, numbers(config.count, config.per_read)),
  })
  const sink = defineOutput({
    name: 'picky',
    summary: 'fails chosen messages once',
    fields: [maxInFlightField(1), batchingField, field.string('fail', { default: '' })],
    create: (config) => {
      for (const id of config.fail.split(',').filter((s) => s !== '')) failOnce.add(id)
      let connects = 0
      return outputSkeleton(config, {
        connect: async () => `c${++connects}`,
        disconnect: async (c) => {
          connections.push(`closed ${c}`)
        },
        write: async (c, batch) => {
          const texts = batch.map((m) => m.text())
          writes.push(texts)
          if (texts.includes('link') && failOnce.has('link')) {
            failOnce.delete('link')
            connections.push(`lost ${c}`)
            throw new NotConnected('gone')
          }
          const failures: [number, Error][] = []
          texts.forEach((t, i) => {
            if (failOnce.delete(t)) failures.push([i, new Error(`refused ${t}`)])
          })
          if (failures.length > 0) throw new BatchError(batch, failures)
        },
      })
    },
  })
  const env = standardEnvironment()
  addPlugin(env, source)
  addPlugin(env, brokered)
  addPlugin(env, sink)
  const run = async (yaml: string) => {
    const stream = await startStream(loadStreamConfig(yaml, env), env, { logger: silentLogger })
    await stream.done
  }
  return { acks, writes, connections, run, failOnce }
}

describe('components written on the kit', () => {
  test('a partly written batch: only the failed message is replayed, every message acked once', async () => {
    const h = harness()
    await h.run(`
input: { numbers: { count: 3, per_read: 3 } }
output: { picky: { fail: "1" } }
`)
    expect(h.writes).toEqual([['0', '1', '2'], ['1']])
    expect(h.acks.map((a) => a.id).sort()).toEqual(['0', '1', '2'])
    expect(h.acks.every((a) => a.error === undefined)).toBe(true)
  })

  test('after a mapping (one batch, same length) the failure still maps back to the message read', async () => {
    const h = harness()
    await h.run(`
input: { numbers: { count: 3, per_read: 3 } }
pipeline: { processors: [ { mapping: 'root = content().string()' } ] }
output: { picky: { fail: "2" } }
`)
    expect(h.writes).toEqual([['0', '1', '2'], ['2']])
  })

  test('a source that takes nacks back: the delivered messages are acked, the failed one nacked', async () => {
    const h = harness()
    await h.run(`
input: { brokered_numbers: { count: 3, per_read: 3 } }
output: { picky: { fail: "0" } }
`)
    expect(h.writes).toEqual([['0', '1', '2']])
    expect(h.acks.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: '0', error: 'refused 0' },
      { id: '1', error: undefined },
      { id: '2', error: undefined },
    ])
  })

  test('output batching: a transaction whose messages were all written is not sent again', async () => {
    const h = harness()
    await h.run(`
input: { numbers: { count: 4, per_read: 2 } }
output: { picky: { fail: "3", batching: { count: 4 } } }
`)
    // the first read (0, 1) succeeded in the batch of four; only 3 of the second comes again
    expect(h.writes).toEqual([['0', '1', '2', '3'], ['3']])
  })

  test('a broken link drops the connection, reconnects and writes the batch again', async () => {
    const h = harness()
    h.failOnce.add('link')
    const env = createEnvironment()
    expect(env.plugins.size).toBe(0)
    await h.run(`
input: { generate: { count: 1, interval: "", mapping: 'root = "link"' } }
output: { picky: {} }
`)
    expect(h.writes).toEqual([['link'], ['link']])
    expect(h.connections).toEqual(['lost c1', 'closed c1', 'closed c2'])
  })

  test('a FieldError names the whole config path', async () => {
    const env = standardEnvironment()
    addPlugin(
      env,
      defineOutput({
        name: 'strict',
        summary: 'rejects its url',
        fields: [field.string('url')],
        create: (config) => {
          throw new FieldError('url', `"${config.url}" is not a URL`)
        },
      }),
    )
    const config = loadStreamConfig('input: { stdin: {} }\noutput: { strict: { url: nope } }', env)
    await expect(startStream(config, env, { logger: silentLogger })).rejects.toThrow(
      'output.strict.url: "nope" is not a URL',
    )
  })
})

describe('declarations', () => {
  test('a component whose config is one value gets that value, and its spec says so', async () => {
    const env = standardEnvironment()
    const written: string[] = []
    const labelled = defineOutput({
      name: 'labelled',
      summary: 'writes each message prefixed by its config value',
      value: field.string('labelled', { default: '' }),
      create: (prefix) => ({
        connect: async () => {},
        close: async () => {},
        async write(batch) {
          for (const m of batch) written.push(`${prefix}${m.text()}`)
        },
      }),
    })
    expect(labelled.spec.value?.name).toBe('labelled')
    expect(labelled.spec.fields).toBeUndefined()
    addPlugin(env, labelled)
    const config = loadStreamConfig(
      "input: { generate: { mapping: 'root = \"x\"', count: 2, interval: '' } }\noutput: { labelled: 'at: ' }",
      env,
    )
    const stream = await startStream(config, env, { logger: silentLogger })
    await stream.done
    expect(written).toEqual(['at: x', 'at: x'])
  })

  test('parseField names the field a parse failed on, and the part of it a FieldError names', () => {
    expect(parseField('n', () => 1)).toBe(1)
    const plain = () =>
      parseField('interval', () => {
        throw new Error('not a duration')
      })
    expect(plain).toThrow(FieldError)
    expect(plain).toThrow(/^interval: not a duration$/)
    const nested = () =>
      parseField('backoff', () => {
        throw new FieldError('max_interval', 'too long')
      })
    expect(nested).toThrow(/^backoff\.max_interval: too long$/)
  })
})

describe('interpolation', () => {
  test('a bad expression is a FieldError; a failing one names the field', () => {
    expect(() => interpolation('topic', '${! this.( }')).toThrow(FieldError)
    expect(() => interpolation('topic', '${! this.( }')).toThrow(/^topic: failed to parse interpolation/)
  })
})

describe('catalogs', () => {
  test('a lazy package is imported once, when one of its components is built', async () => {
    const h = harness()
    let loads = 0
    const real = standardEnvironment()
    const components = [...real.plugins.get('output')!.values()].filter((p) => p.spec.name === 'drop')
    const catalog = catalogOf(
      '@bento-ts/example',
      components.map((c) => ({ ...c, spec: { ...c.spec, name: 'lazy_drop' } })),
    )
    const env = standardEnvironment()
    addLazyPackage(env, catalog, async () => {
      loads++
      return { components: components.map((c) => ({ ...c, spec: { ...c.spec, name: 'lazy_drop' } })) }
    })
    expect(loads).toBe(0)
    const config = loadStreamConfig(
      'input: { generate: { count: 2, interval: "", mapping: "root = 1" } }\noutput: { lazy_drop: {} }',
      env,
    )
    expect(loads).toBe(0)
    const stream = await startStream(config, env, { logger: silentLogger })
    await stream.done
    expect(loads).toBe(1)
    expect(h.writes).toEqual([])
  })
})
