// The bridge options a module or trigger subscription may set, read from its raw config with
// errors that name the field; and the plugin-wide settings every module shares.
import { type Logger, type Metrics, parseDuration } from '@bento-ts/core'
import { defaultMaxDepth, LoopGuard } from './envelope.ts'
import type { EventPermissions } from './permissions.ts'
import type { DeliveryMode } from './window.ts'

/** Shared by every module of one plugin process. */
export interface BridgeSettings {
  permissions: EventPermissions
  /** default propagation depth limit (a module may lower or raise its own) */
  maxDepth: number
  metrics: Metrics
  loops: LoopGuard
}

export function bridgeSettings(
  logger: Logger,
  metrics: Metrics,
  permissions: EventPermissions = {},
  maxDepth = defaultMaxDepth,
): BridgeSettings {
  return { permissions, maxDepth, metrics, loops: new LoopGuard(logger) }
}

type Raw = Record<string, unknown>

export function intOption(c: Raw, name: string, fallback: number, min: number): number {
  const v = c[name]
  if (v === undefined || v === null) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new Error(`${name} must be an integer of at least ${min}, got ${JSON.stringify(v)}`)
  }
  return v
}

export function durationOption(c: Raw, name: string, fallback: string): number {
  const v = c[name] ?? fallback
  if (typeof v !== 'string')
    throw new Error(`${name} must be a duration like "500ms" or "2s", got ${JSON.stringify(v)}`)
  try {
    return v === '' ? 0 : parseDuration(v)
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`)
  }
}

export function deliveryOption(c: Raw): DeliveryMode {
  const v = c.delivery ?? 'at_least_once'
  if (v !== 'at_least_once' && v !== 'best_effort') {
    throw new Error(`delivery must be at_least_once or best_effort, got ${JSON.stringify(v)}`)
  }
  return v
}

export interface LaneConfig {
  parallel: number
  errorBackoffMs: number
}

/** `parallel` and `error_backoff` (bento.input and trigger subscriptions). */
export const laneConfig = (c: Raw): LaneConfig => ({
  parallel: intOption(c, 'parallel', 1, 1),
  errorBackoffMs: durationOption(c, 'error_backoff', ''),
})
