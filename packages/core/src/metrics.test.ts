import { describe, expect, test } from 'vitest'
import { createMetrics } from './metrics.ts'

describe('metrics', () => {
  test('counts and gauges kept on the hot path show when the registry is read', async () => {
    const metrics = createMetrics()
    const labels = { label: 'in', path: 'in' }
    const received = metrics.counter('input_received', labels)
    const other = metrics.counter('input_received', { label: 'b', path: 'b' })
    const latency = metrics.timing('input_latency_ns', labels)
    received.inc()
    received.inc(4)
    other.inc(2)
    latency.observe(1234)
    let text = await metrics.registry.metrics()
    expect(text).toContain('input_received{label="in",path="in"} 5')
    expect(text).toContain('input_received{label="b",path="b"} 2')
    expect(text).toContain('input_latency_ns{label="in",path="in"} 1234')
    received.inc()
    latency.observe(99)
    text = await metrics.registry.metrics()
    expect(text).toContain('input_received{label="in",path="in"} 6')
    expect(text).toContain('input_latency_ns{label="in",path="in"} 99')
  })
})
