// metric: a custom metric (counter, counter_by, gauge, timing) updated by each message.

import type { Plugin } from '../../component.ts'
import type { Batch } from '../../message.ts'
import { field } from '../../spec.ts'
import { BatchView, errorOf, type Interpolated, interpolated } from './util.ts'

interface MetricConfig {
  type: string
  name: string
  labels: Record<string, string>
  value: string
}

const types = ['counter', 'counter_by', 'gauge', 'timing']

export const metricProcessor: Plugin<'processor'> = {
  spec: {
    name: 'metric',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary: 'Emit custom metrics by extracting values from messages.',
    description:
      'Messages pass unchanged. `counter` adds one per message; `counter_by` adds the integer `value` (negative values are ignored); `gauge` sets the integer `value`; `timing` records the integer `value` (nanoseconds). A `value` that is not an integer is logged and skipped.',
    fields: [
      field.string('type', { options: types, description: 'The metric type to create.' }),
      field.string('name', {
        description:
          'The name of the metric to create, this must be unique across all Bento components otherwise it will overwrite those other metrics.',
      }),
      field.map('labels', 'string', {
        default: {},
        description:
          'A map of label names and values that can be used to enrich metrics. Labels are not supported by some metric destinations, in which case the metrics series are combined.',
        examples: [{ type: '${! json("doc.type") }', topic: '${! meta("kafka_topic") }' }],
      }),
      field.interpolated('value', {
        default: '',
        description:
          'For some metric types specifies a value to set, increment. Certain metrics exporters such as Prometheus support floating point values, but those that do not will cast a floating point value into an integer.',
      }),
    ],
  },
  create(config: MetricConfig, context) {
    if (!types.includes(config.type)) throw new Error(`metric type not recognised: ${config.type}`)
    if (config.name === '') throw new Error('metric name must not be empty')
    const labelNames = Object.keys(config.labels).sort()
    const labelValues: Interpolated[] = labelNames.map((n) => interpolated(config.labels[n]!, `labels.${n}`))
    const value = interpolated(config.value, 'value')
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        const view = new BatchView(batch)
        for (let i = 0; i < batch.length; i++) {
          let labels: Record<string, string>
          let amount: number
          try {
            labels = Object.fromEntries(labelNames.map((n, j) => [n, labelValues[j]!.text(view, i)]))
            const text = config.type === 'counter' ? '1' : value.text(view, i).trim()
            amount = Number(text)
            if (!/^[+-]?\d+(\.\d+)?$/.test(text) || !Number.isFinite(amount))
              throw new Error(`value "${text}" is not a number`)
          } catch (err) {
            logger.error(`Metric ${config.name}: ${errorOf(err).message}`)
            continue
          }
          if (config.type === 'counter' || config.type === 'counter_by') {
            if (amount >= 0) context.metrics.counter(config.name, labels).inc(amount)
          } else if (config.type === 'gauge') context.metrics.gauge(config.name, labels).set(amount)
          else context.metrics.timing(config.name, labels).observe(amount)
        }
        return [batch]
      },
    }
  },
}
