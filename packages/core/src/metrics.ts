import { Counter, Gauge, Registry } from 'prom-client'

// Bento's metric names and labels (`label`, `path`), so dashboards built for Bento keep working.
export interface Metrics {
  registry: Registry
  counter(name: string, labels: Record<string, string>): { inc(by?: number): void }
  gauge(name: string, labels: Record<string, string>): { set(value: number): void }
  /** a latency in nanoseconds, exposed like Bento's timing metrics */
  timing(name: string, labels: Record<string, string>): { observe(ns: number): void }
}

export function createMetrics(registry = new Registry()): Metrics {
  const counters = new Map<string, Counter>()
  const gauges = new Map<string, Gauge>()
  const labelNames = (labels: Record<string, string>) => Object.keys(labels).sort()
  const counterOf = (name: string, labels: Record<string, string>): Counter => {
    let c = counters.get(name)
    if (c === undefined) {
      c = new Counter({ name, help: name, labelNames: labelNames(labels), registers: [registry] })
      counters.set(name, c)
    }
    return c
  }
  const gaugeOf = (name: string, labels: Record<string, string>): Gauge => {
    let g = gauges.get(name)
    if (g === undefined) {
      g = new Gauge({ name, help: name, labelNames: labelNames(labels), registers: [registry] })
      gauges.set(name, g)
    }
    return g
  }
  return {
    registry,
    counter(name, labels) {
      const child = counterOf(name, labels).labels(labels)
      return { inc: (by = 1) => child.inc(by) }
    },
    gauge(name, labels) {
      const child = gaugeOf(name, labels).labels(labels)
      return { set: (value) => child.set(value) }
    },
    timing(name, labels) {
      // A gauge of the last latency, as Bento's prometheus exporter publishes timers by default.
      const child = gaugeOf(name, labels).labels(labels)
      return { observe: (ns) => child.set(ns) }
    },
  }
}
