import { describe, expect, test } from 'vitest'
import { batchOf, run, texts } from './testkit.ts'

describe('metric', () => {
  test('counter, counter_by and gauge update the metrics; messages pass unchanged', async () => {
    const { createMetrics } = await import('../../metrics.ts')
    const { testContext } = await import('./testkit.ts')
    const { metricProcessor } = await import('./metric.ts')
    const context = { ...testContext(), metrics: createMetrics() }
    const seen: string[] = []
    const metrics = context.metrics
    context.metrics = {
      ...metrics,
      counter: (name, labels) => ({ inc: (by = 1) => seen.push(`${name}${JSON.stringify(labels)}+${by}`) }),
      gauge: (name, labels) => ({ set: (v) => seen.push(`${name}${JSON.stringify(labels)}=${v}`) }),
    }
    const counter = metricProcessor.create(
      { type: 'counter', name: 'c', labels: { t: '${! this.t }' }, value: '' },
      context,
    )
    const by = metricProcessor.create(
      { type: 'counter_by', name: 'b', labels: {}, value: '${! this.n }' },
      context,
    )
    const gauge = metricProcessor.create(
      { type: 'gauge', name: 'g', labels: {}, value: '${! this.n }' },
      context,
    )
    const batch = batchOf('{"t":"x","n":3}', '{"t":"y","n":"oops"}')
    for (const p of [counter, by, gauge])
      expect(texts(await run(await p, batch))).toEqual([batch.map((m) => m.text())])
    expect(seen).toEqual(['c{"t":"x"}+1', 'c{"t":"y"}+1', 'b{}+3', 'g{}=3'])
  })
})
