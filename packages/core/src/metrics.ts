import { Counter, Gauge, Registry } from 'prom-client'

// Bento's metric names and labels (`label`, `path`), so dashboards built for Bento keep working.
export interface Metrics {
  registry: Registry
  counter(name: string, labels: Record<string, string>): { inc(by?: number): void }
  gauge(name: string, labels: Record<string, string>): { set(value: number): void }
  /** a latency in nanoseconds, exposed like Bento's timing metrics */
  timing(name: string, labels: Record<string, string>): { observe(ns: number): void }
}

/**
 * Counts and values are kept in plain fields on the hot path (a prom-client child hashes its
 * labels on every call) and handed to prom-client when the registry is read (its `collect` hook).
 */
interface CounterChild {
  labels: Record<string, string>
  pending: number
}
interface GaugeChild {
  labels: Record<string, string>
  value: number
  dirty: boolean
}

export function createMetrics(registry = new Registry()): Metrics {
  const counters = new Map<string, { metric: Counter; children: CounterChild[] }>()
  const gauges = new Map<string, { metric: Gauge; children: GaugeChild[] }>()
  const labelNames = (labels: Record<string, string>) => Object.keys(labels).sort()
  const counterOf = (name: string, labels: Record<string, string>) => {
    let c = counters.get(name)
    if (c === undefined) {
      const children: CounterChild[] = []
      const metric: Counter = new Counter({
        name,
        help: name,
        labelNames: labelNames(labels),
        registers: [registry],
        collect() {
          for (const child of children) {
            if (child.pending === 0) continue
            const by = child.pending
            child.pending = 0
            metric.inc(child.labels, by)
          }
        },
      })
      c = { metric, children }
      counters.set(name, c)
    }
    return c
  }
  const gaugeOf = (name: string, labels: Record<string, string>) => {
    let g = gauges.get(name)
    if (g === undefined) {
      const children: GaugeChild[] = []
      const metric: Gauge = new Gauge({
        name,
        help: name,
        labelNames: labelNames(labels),
        registers: [registry],
        collect() {
          for (const child of children) {
            if (!child.dirty) continue
            child.dirty = false
            metric.set(child.labels, child.value)
          }
        },
      })
      g = { metric, children }
      gauges.set(name, g)
    }
    return g
  }
  const gaugeChild = (name: string, labels: Record<string, string>): GaugeChild => {
    const g = gaugeOf(name, labels)
    const child: GaugeChild = { labels: { ...labels }, value: 0, dirty: false }
    g.children.push(child)
    return child
  }
  return {
    registry,
    counter(name, labels) {
      const c = counterOf(name, labels)
      const child: CounterChild = { labels: { ...labels }, pending: 0 }
      c.children.push(child)
      return {
        inc: (by = 1) => {
          child.pending += by
        },
      }
    },
    gauge(name, labels) {
      const child = gaugeChild(name, labels)
      return {
        set: (value) => {
          child.value = value
          child.dirty = true
        },
      }
    },
    timing(name, labels) {
      // A gauge of the last latency, as Bento's prometheus exporter publishes timers by default.
      const child = gaugeChild(name, labels)
      return {
        observe: (ns) => {
          child.value = ns
          child.dirty = true
        },
      }
    },
  }
}
