import {
  addPlugin,
  createMetrics,
  EndOfInput,
  type Plugin,
  silentLogger,
  standardEnvironment,
} from '@bento-ts/core'
import { describe, expect, it } from 'vitest'
import { bridgeSettings } from './bridge/options.ts'
import type { EngineCallbacks } from './context.ts'
import { withHostComponents } from './host-components.ts'
import { BentoTrigger } from './trigger.ts'

// An input that never connects: the stream retries forever, and the trigger must tell the host.
let connects = 0
const failingInput: Plugin<'input'> = {
  spec: { name: 'never_connects', kind: 'input', summary: 'test input', fields: [] },
  create: () => ({
    connect: async () => {
      connects++
      throw new Error('disk on fire')
    },
    read: async () => {
      throw new EndOfInput()
    },
    close: async () => {},
  }),
}

const bridge = bridgeSettings(silentLogger, createMetrics())

function recordingCallbacks(answer = '') {
  const calls: { triggerType: string; action: string; data: unknown }[] = []
  const callbacks = {
    triggerWorkflow: async (request: { triggerType: string; action: string; data: unknown }) => {
      calls.push(request)
      return { error: answer }
    },
  } as unknown as EngineCallbacks
  return { calls, callbacks }
}

describe('BentoTrigger', () => {
  it('reports a stream whose input keeps failing as action stream_error, once per interval', {
    timeout: 20_000,
  }, async () => {
    const env = standardEnvironment()
    addPlugin(env, failingInput)
    const { calls, callbacks } = recordingCallbacks()
    const trigger = new BentoTrigger(
      'h1',
      'bento',
      { subscriptions: [{ workflow: 'orders', action: 'ingest', input: { never_connects: {} } }] },
      { env: withHostComponents(env), logger: silentLogger, callbacks: () => callbacks, bridge },
    )
    await trigger.start()
    await expect.poll(() => calls.length, { timeout: 5000 }).toBe(1)
    expect(calls[0]).toMatchObject({
      triggerType: 'bento',
      action: 'stream_error',
      data: { workflow: 'orders', action: 'ingest' },
    })
    expect((calls[0]!.data as { error: string }).error).toContain('disk on fire')
    // The stream keeps retrying; further failures inside the 30 s interval are not reported again.
    await expect.poll(() => connects, { timeout: 10_000 }).toBeGreaterThan(2)
    expect(calls.length).toBe(1)
    await trigger.stop()
  })

  it('fires the subscription action per message and counts only accepted ones', async () => {
    const { calls, callbacks } = recordingCallbacks()
    const trigger = new BentoTrigger(
      'h2',
      'bento',
      {
        subscriptions: [
          {
            workflow: 'w',
            action: 'go',
            input: { generate: { count: 3, interval: '', mapping: 'root.n = counter()' } },
          },
        ],
      },
      {
        env: withHostComponents(standardEnvironment()),
        logger: silentLogger,
        callbacks: () => callbacks,
        bridge,
      },
    )
    await trigger.start()
    await expect.poll(() => trigger.fired, { timeout: 5000 }).toBe(3)
    expect(calls.map((c) => c.action)).toEqual(['go', 'go', 'go'])
    await trigger.stop()
  })

  it('refuses to start before ConfigureCallback', async () => {
    const trigger = new BentoTrigger(
      'h3',
      'bento',
      { subscriptions: [] },
      {
        env: withHostComponents(standardEnvironment()),
        logger: silentLogger,
        callbacks: () => undefined,
        bridge,
      },
    )
    await expect(trigger.start()).rejects.toThrow('ConfigureCallback was not called')
  })
})
