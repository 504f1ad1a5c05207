// Test doubles shared by the io component tests (not used by the components themselves).

import {
  type Builder,
  type ComponentContext,
  EndOfInput,
  type Input,
  type Output,
  type ParsedComponent,
  type Resources,
} from '../../component.ts'
import { addPlugin } from '../../environment.ts'
import { defineInput, defineOutput } from '../../kit/declare.ts'
import { silentLogger } from '../../logger.ts'
import { type Batch, Message } from '../../message.ts'
import { createMetrics } from '../../metrics.ts'
import { loadStreamConfig, startStream } from '../../run.ts'
import { field } from '../../spec.ts'
import { standardEnvironment } from '../../standard.ts'
import { onAbort } from './channel.ts'

/** An output that records what it was given and can fail its first writes or hang. */
export function recordingOutput(options: { failFirst?: number; failAlways?: string; delayMs?: number } = {}) {
  const written: string[][] = []
  const metadata: Record<string, unknown>[][] = []
  let attempts = 0
  const output: Output = {
    connect: async () => {},
    close: async () => {},
    async write(batch: Batch, signal: AbortSignal) {
      const attempt = ++attempts
      if (options.delayMs !== undefined) {
        await new Promise<void>((resolve, reject) => {
          const unsubscribe = onAbort(signal, () => {
            clearTimeout(timer)
            reject(signal.reason)
          })
          const timer = setTimeout(() => {
            unsubscribe()
            resolve()
          }, options.delayMs)
        })
      }
      if (options.failAlways !== undefined) throw new Error(options.failAlways)
      if (attempt <= (options.failFirst ?? 0)) throw new Error(`write ${attempt} failed`)
      written.push(batch.map((m) => m.text()))
      metadata.push(batch.map((m) => Object.fromEntries(m.metadata)))
    },
  }
  return {
    output,
    written,
    metadata,
    attempts: () => attempts,
    messages: () => written.flat(),
  }
}

/** A context whose builder hands out prepared outputs/inputs by their type name. */
export function fakeContext(
  parts: { outputs?: Record<string, Output>; inputs?: Record<string, Input> } = {},
): ComponentContext {
  const build: Builder = {
    async output(parsed: ParsedComponent) {
      const out = parts.outputs?.[parsed.type]
      if (out === undefined) throw new Error(`no test output ${parsed.type}`)
      return out
    },
    async input(parsed: ParsedComponent) {
      const input = parts.inputs?.[parsed.type]
      if (input === undefined) throw new Error(`no test input ${parsed.type}`)
      return input
    },
    processors: async () => [],
  }
  const missing = (kind: string) => (label: string) => {
    throw new Error(`${kind} resource "${label}" is not declared`)
  }
  const resources: Resources = {
    cache: missing('cache'),
    rateLimit: missing('rate_limit'),
    processor: missing('processor'),
    input: missing('input'),
    output: missing('output'),
    hasCache: () => false,
  }
  return {
    label: 'test',
    path: 'test',
    logger: silentLogger,
    metrics: createMetrics(),
    resources,
    build,
    signal: new AbortController().signal,
  }
}

/** A parsed child component naming a test double. */
export const child = (type: string): ParsedComponent => ({
  type,
  label: '',
  config: {},
  processors: [],
  path: type,
})

/** A signal that never fires. */
export const never: AbortSignal = new AbortController().signal

/** Acks an input handed out, in order. */
export interface AckRecord {
  id: string
  error: string | undefined
}

/** An input of the given ids, one per batch, recording every ack. */
export function recordingInput(ids: string[]) {
  const acks: AckRecord[] = []
  let next = 0
  const input: Input = {
    connect: async () => {},
    close: async () => {},
    async read(signal) {
      signal.throwIfAborted()
      if (next >= ids.length) throw new EndOfInput()
      const id = ids[next++]!
      return {
        batch: [new Message(id)],
        ack: async (error) => {
          acks.push({ id, error: error?.message })
        },
      }
    },
  }
  return { input, acks, read: () => next }
}

/**
 * The standard environment plus test plugins `test_in` / `test_out` (handed out from the given
 * doubles), and a way to run a YAML stream config in it.
 */
export function testEnvironment(
  doubles: { inputs?: Record<string, Input>; outputs?: Record<string, Output> } = {},
) {
  const env = standardEnvironment()
  addPlugin(
    env,
    defineInput({
      name: 'test_in',
      summary: 'test input',
      value: field.string('test_in'),
      create: (name) => {
        const input = doubles.inputs?.[name]
        if (input === undefined) throw new Error(`no test input ${name}`)
        return input
      },
    }),
  )
  addPlugin(
    env,
    defineOutput({
      name: 'test_out',
      summary: 'test output',
      value: field.string('test_out'),
      create: (name) => {
        const output = doubles.outputs?.[name]
        if (output === undefined) throw new Error(`no test output ${name}`)
        return output
      },
    }),
  )
  return {
    env,
    start: (yaml: string) => startStream(loadStreamConfig(yaml, env), env, { logger: silentLogger }),
  }
}
