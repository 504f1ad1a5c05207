import { expect, test } from 'vitest'
import { startStatusServer } from './http-server.ts'
import { silentLogger } from './logger.ts'
import { createMetrics } from './metrics.ts'
import { loadStreamConfig, startStream } from './run.ts'
import { standardEnvironment } from './standard.ts'

test('/ping, /ready and /metrics answer at the root and under root_path', async () => {
  const metrics = createMetrics()
  metrics.counter('input_received', { label: 'in', path: 'in' }).inc(3)
  let ready = false
  const server = await startStatusServer(
    { enabled: true, address: '127.0.0.1:0', root_path: '/bento' },
    metrics,
    silentLogger,
    () => ready,
  )
  const base = `http://${server!.address}`
  try {
    expect(await (await fetch(`${base}/ping`)).text()).toBe('pong')
    expect((await fetch(`${base}/bento/ping`)).status).toBe(200)
    expect((await fetch(`${base}/ready`)).status).toBe(503)
    ready = true
    expect((await fetch(`${base}/ready`)).status).toBe(200)
    const text = await (await fetch(`${base}/metrics`)).text()
    expect(text).toContain('input_received{label="in",path="in"} 3')
    expect((await fetch(`${base}/nope`)).status).toBe(404)
  } finally {
    await server!.close()
  }
})

test('disabled: no server', async () => {
  expect(
    await startStatusServer(
      { enabled: false, address: '127.0.0.1:0', root_path: '' },
      createMetrics(),
      silentLogger,
      () => true,
    ),
  ).toBeUndefined()
})

test('a running stream reports Bento-named metrics over its status server', async () => {
  const env = standardEnvironment()
  const config = loadStreamConfig(
    'http:\n  address: 127.0.0.1:0\ninput:\n  generate:\n    count: 5\n    interval: ""\n    mapping: root = 1\n' +
      'pipeline:\n  processors:\n    - label: fail_odd\n      mapping: root = if this % 2 == 1 { throw("odd") } else { this }\n' +
      'output:\n  drop: {}\n',
    env,
    { vars: {} },
  )
  const metrics = createMetrics()
  const stream = await startStream(config, env, { logger: silentLogger, metrics, statusServer: true })
  await stream.done
  const text = await metrics.registry.metrics()
  expect(text).toContain('input_received{label="generate",path="generate"} 5')
  expect(text).toContain('output_sent{label="drop",path="drop"} 5')
  expect(text).toContain('processor_received{label="fail_odd",path="pipeline.processors.0.mapping"} 5')
  expect(text).toContain('processor_error{label="fail_odd",path="pipeline.processors.0.mapping"} 5')
})
