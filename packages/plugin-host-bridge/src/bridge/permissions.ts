// Which topics the plugin may publish to (`events.emit`) and subscribe to (`events.subscribe`):
// lists of topic patterns from the plugin's config (plugin.json `events`, or the file named by
// BENTO_PLUGIN_CONFIG). Absent lists leave that direction unrestricted.
import { matchTopic, patternWithin, topicProblem } from './topics.ts'

export interface EventPermissions {
  emit?: readonly string[]
  subscribe?: readonly string[]
  /** how many times a message may cross from the plugin to the host (default 3) */
  maxPropagationDepth?: number
}

/** Reads `events: {emit: [...], subscribe: [...]}`; throws naming the bad entry. */
export function parseEventPermissions(events: unknown, where: string): EventPermissions {
  if (events === undefined || events === null) return {}
  if (typeof events !== 'object' || Array.isArray(events)) throw new Error(`${where}: events must be a map`)
  const out: { emit?: string[]; subscribe?: string[]; maxPropagationDepth?: number } = {}
  for (const key of Object.keys(events)) {
    if (key === 'max_propagation_depth') {
      const n = (events as Record<string, unknown>)[key]
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        throw new Error(`${where}: events.max_propagation_depth must be a positive integer`)
      }
      out.maxPropagationDepth = n
      continue
    }
    if (key !== 'emit' && key !== 'subscribe') {
      throw new Error(
        `${where}: events.${key} is not a field (expected emit, subscribe or max_propagation_depth)`,
      )
    }
    const list = (events as Record<string, unknown>)[key]
    if (!Array.isArray(list)) throw new Error(`${where}: events.${key} must be a list of topic patterns`)
    list.forEach((p, i) => {
      if (typeof p !== 'string') throw new Error(`${where}: events.${key}[${i}] must be a string`)
      const problem = topicProblem(p)
      if (problem !== undefined) throw new Error(`${where}: events.${key}[${i}] "${p}" ${problem}`)
    })
    out[key] = list as string[]
  }
  return out
}

/** Whether publishing to `topic` is allowed. */
export const mayEmit = (p: EventPermissions, topic: string): boolean =>
  p.emit === undefined || p.emit.some((allowed) => matchTopic(allowed, topic))

/** Whether subscribing to `pattern` is allowed: everything it matches must be allowed. */
export const maySubscribe = (p: EventPermissions, pattern: string): boolean =>
  p.subscribe === undefined || p.subscribe.some((allowed) => patternWithin(pattern, allowed))

/** An emit check that fails with a message saying what is allowed. */
export function checkEmit(p: EventPermissions, topic: string, who: string): void {
  if (!mayEmit(p, topic)) {
    throw new Error(
      `${who}: target_topic "${topic}" is outside the plugin's events.emit (${(p.emit ?? []).join(', ')}); add it there or pick an allowed topic`,
    )
  }
}

export function checkSubscribe(p: EventPermissions, pattern: string, who: string): void {
  if (!maySubscribe(p, pattern)) {
    throw new Error(
      `${who}: source_topic "${pattern}" is outside the plugin's events.subscribe (${(p.subscribe ?? []).join(', ')}); add it there or pick an allowed pattern`,
    )
  }
}
