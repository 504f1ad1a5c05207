import { createWriteStream } from 'node:fs'
import pino, { type DestinationStream } from 'pino'
import { defaultsOf, field } from './spec.ts'

export interface Logger {
  trace(message: string, fields?: Record<string, unknown>): void
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  child(fields: Record<string, unknown>): Logger
}

/** Bento's `logger` block, field for field. */
export const loggerFields = [
  field.string('level', {
    default: 'INFO',
    options: ['OFF', 'FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'ALL', 'NONE'],
  }),
  field.string('format', { default: 'logfmt', options: ['json', 'logfmt'] }),
  field.bool('add_timestamp', { default: false }),
  field.string('level_name', { default: 'level' }),
  field.string('timestamp_name', { default: 'time' }),
  field.string('message_name', { default: 'msg' }),
  field.map('static_fields', 'string', { default: { '@service': 'bento' } }),
  field.object('file', [field.string('path', { default: '' }), field.bool('rotate', { default: false })], {
    default: { path: '', rotate: false },
  }),
  field.bool('log_all_errors', { default: false, advanced: true }),
]

export interface LoggerConfig {
  level: string
  format: 'json' | 'logfmt'
  add_timestamp: boolean
  level_name: string
  timestamp_name: string
  message_name: string
  static_fields: Record<string, string>
  file: { path: string; rotate: boolean }
}

const pinoLevel: Record<string, string> = {
  OFF: 'silent',
  NONE: 'silent',
  FATAL: 'fatal',
  ERROR: 'error',
  WARN: 'warn',
  INFO: 'info',
  DEBUG: 'debug',
  TRACE: 'trace',
  ALL: 'trace',
}

function logfmtValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return /[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text
}

/** Turns pino's JSON lines into logfmt (`level=info msg="…" key=value`), keeping pino's speed elsewhere. */
function logfmtDestination(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      const record = JSON.parse(line) as Record<string, unknown>
      out.write(
        `${Object.entries(record)
          .map(([k, v]) => `${k}=${logfmtValue(v)}`)
          .join(' ')}\n`,
      )
    },
  }
}

/** A structured logger configured like Bento's; logs go to stderr unless a file is given. */
export function createLogger(config: Partial<LoggerConfig> = {}, stream?: NodeJS.WritableStream): Logger {
  const c = { ...defaultsOf(loggerFields), ...config } as LoggerConfig
  const out = stream ?? (c.file.path !== '' ? createWriteStream(c.file.path, { flags: 'a' }) : process.stderr)
  const destination = c.format === 'logfmt' ? logfmtDestination(out) : (out as DestinationStream)
  const base = pino(
    {
      level: pinoLevel[c.level.toUpperCase()] ?? 'info',
      base: { ...c.static_fields },
      messageKey: c.message_name,
      timestamp: c.add_timestamp ? () => `,"${c.timestamp_name}":"${new Date().toISOString()}"` : false,
      formatters: { level: (label) => ({ [c.level_name]: label }) },
    },
    destination,
  )
  return wrap(base)
}

function wrap(p: pino.Logger): Logger {
  const at =
    (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>) =>
      fields === undefined ? p[level](message) : p[level](fields, message)
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => wrap(p.child(fields)),
  }
}

/** A logger that drops everything, for tests and embedded uses that log elsewhere. */
export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
}
