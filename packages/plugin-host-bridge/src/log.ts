import type { Logger } from '@bento-ts/core'
import { maskSecrets } from './bridge/secrets.ts'

// In plugin mode stdout belongs to go-plugin (the handshake line; the rest is discarded), so every
// log line goes to stderr. The host reads stderr line by line; a JSON line with `@level` and
// `@message` is logged by its hclog at that level, anything else at debug.

const levels = ['trace', 'debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof levels)[number]

const rank = (level: string): number => {
  const l = level.toLowerCase()
  if (l === 'all') return 0
  if (l === 'off' || l === 'none') return 99
  if (l === 'fatal') return 4
  const i = levels.indexOf(l as LogLevel)
  return i < 0 ? 2 : i
}

export interface PluginLoggerOptions {
  /** trace, debug, info (default), warn, error; Bento's names (ALL, OFF, …) work too */
  level?: string
  /** where lines go; default process.stderr */
  write?: (line: string) => void
  fields?: Record<string, unknown>
}

/** A logger printing hclog-style JSON lines (`@level`, `@message`, `@timestamp`, fields). */
export function createPluginLogger(options: PluginLoggerOptions = {}): Logger {
  const min = rank(options.level ?? 'info')
  const write = options.write ?? ((line: string) => process.stderr.write(line))
  const make = (base: Record<string, unknown>): Logger => {
    const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
      if (rank(level) < min) return
      const record = {
        '@level': level,
        '@message': message,
        // hclog's layout, microseconds included: the host rejects other precisions.
        '@timestamp': new Date().toISOString().replace('Z', '000Z'),
        ...base,
        ...fields,
      }
      // Every line is masked: a secret from a config or a credential header never reaches the host.
      write(maskSecrets(`${JSON.stringify(record, errorsAsText)}\n`))
    }
    return {
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (fields) => make({ ...base, ...fields }),
    }
  }
  return make({ ...options.fields })
}

function errorsAsText(_key: string, value: unknown): unknown {
  if (value instanceof Error) return value.message
  if (typeof value === 'bigint') return value.toString()
  return value
}
