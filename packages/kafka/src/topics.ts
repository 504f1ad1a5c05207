// Bento's `topics` syntax: `foo`, `foo,bar` (several in one entry), `foo:0` and `foo:0-10`
// (explicit partitions, a range inclusive of both ends).

export interface ParsedTopics {
  /** topics whose partitions the consumer group balances across its members */
  balanced: string[]
  /** topic → the explicit partitions asked for, ascending */
  explicit: Map<string, number[]>
}

const partitionPattern = /^(\d+)(?:-(\d+))?$/

export function parseTopics(entries: readonly string[]): ParsedTopics {
  const balanced: string[] = []
  const explicit = new Map<string, Set<number>>()
  for (const entry of entries) {
    for (const raw of entry.split(',')) {
      const item = raw.trim()
      if (item === '') continue
      const colon = item.lastIndexOf(':')
      if (colon < 0) {
        if (!balanced.includes(item)) balanced.push(item)
        continue
      }
      const topic = item.slice(0, colon).trim()
      const spec = item.slice(colon + 1).trim()
      if (topic === '') throw new Error(`topics: "${item}" has no topic name before the colon`)
      const match = partitionPattern.exec(spec)
      if (match === null)
        throw new Error(`topics: "${item}": expected a partition or a range like 0-10 after the colon`)
      const first = Number(match[1])
      const last = match[2] === undefined ? first : Number(match[2])
      if (last < first) throw new Error(`topics: "${item}": the range ends before it starts`)
      if (last > 2 ** 31 - 1) throw new Error(`topics: "${item}": partition out of range`)
      let set = explicit.get(topic)
      if (set === undefined) {
        set = new Set()
        explicit.set(topic, set)
      }
      for (let p = first; p <= last; p++) set.add(p)
    }
  }
  return {
    balanced,
    explicit: new Map([...explicit].map(([topic, set]) => [topic, [...set].sort((a, b) => a - b)])),
  }
}

/** Broker addresses: each entry may hold several, comma separated. */
export function parseAddresses(entries: readonly string[], what = 'addresses'): string[] {
  const out: string[] = []
  for (const entry of entries) {
    for (const raw of entry.split(',')) {
      const address = raw.trim()
      if (address !== '') out.push(address)
    }
  }
  if (out.length === 0) throw new Error(`${what}: at least one broker address is required`)
  return out
}
