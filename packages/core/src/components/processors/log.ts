import { DELETE, type Executor, encodeJSON, NOTHING, parse, parseJSON, type Value } from '@bento-ts/bloblang'
import type { Plugin } from '../../component.ts'
import type { Logger } from '../../logger.ts'
import type { Batch } from '../../message.ts'
import { field } from '../../spec.ts'
import { BatchView, errorOf, type Interpolated, interpolated, wrapError } from './util.ts'

interface LogConfig {
  level: string
  fields_mapping?: string
  message: string
  fields?: Record<string, string>
}

const decoder = new TextDecoder()

const levels: Record<string, (logger: Logger, message: string, fields?: Record<string, unknown>) => void> = {
  TRACE: (l, m, f) => l.trace(m, f),
  DEBUG: (l, m, f) => l.debug(m, f),
  INFO: (l, m, f) => l.info(m, f),
  WARN: (l, m, f) => l.warn(m, f),
  ERROR: (l, m, f) => l.error(m, f),
}

function isPlainObject(v: Value): v is Record<string, Value> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  )
}

export const logProcessor: Plugin<'processor'> = {
  spec: {
    name: 'log',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary: 'Prints a log event for each message. Messages always remain unchanged.',
    description:
      'The `message` is interpolated per message; `fields_mapping` builds structured fields for the event. A failed interpolation or mapping is logged as an error and the message passes on.',
    fields: [
      field.string('level', {
        default: 'INFO',
        options: ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'ALL'],
        description: 'The log level to use.',
      }),
      field.bloblang('fields_mapping', {
        optional: true,
        description:
          'An optional Bloblang mapping that can be used to specify extra fields to add to the log.',
        examples: [
          'root.reason = "cus I wana"\nroot.id = this.id\nroot.age = this.user.age.number()\nroot.kafka_topic = metadata("kafka_topic")',
        ],
      }),
      field.interpolated('message', { default: '', description: 'The message to print.' }),
      field.map('fields', 'string', {
        optional: true,
        deprecated: true,
        description: 'A map of fields to print along with the log message (interpolated).',
      }),
    ],
  },
  create(config: LogConfig, context) {
    const level = config.level.toUpperCase()
    const print = levels[level]
    if (print === undefined) throw new Error(`log level not recognised: ${level}`)
    const message = interpolated(config.message, 'message')
    const fields: [string, Interpolated][] = []
    for (const [k, v] of Object.entries(config.fields ?? {})) {
      try {
        fields.push([k, interpolated(v, 'field')])
      } catch (err) {
        throw new Error(`failed to parse field '${k}' expression: ${errorOf(err).message}`)
      }
    }
    let mapping: Executor | undefined
    if (config.fields_mapping !== undefined && config.fields_mapping !== '') {
      try {
        mapping = parse(config.fields_mapping)
      } catch (err) {
        throw wrapError('failed to parse fields mapping', err)
      }
    }
    const logger = context.logger

    const fieldsOf = (view: BatchView, i: number): Record<string, unknown> | undefined => {
      let out: Record<string, unknown> | undefined
      if (mapping !== undefined) {
        let value: Value
        try {
          const raw = mapping.applyRaw(view.input(i), view.options(i))
          value = raw.value
          if (value === NOTHING) value = raw.part.structured()
          else if (typeof value === 'string') value = parseJSON(value)
          else if (value instanceof Uint8Array) value = parseJSON(decoder.decode(value))
        } catch (err) {
          logger.error(`Failed to execute fields mapping: ${errorOf(err).message}`)
          return undefined
        }
        if (value === DELETE || !isPlainObject(value)) {
          logger.error(
            `Fields mapping yielded a non-object result: ${value === DELETE ? 'deleted' : typeof value}`,
          )
          return undefined
        }
        out = {}
        // plain JSON values, so any log destination can print them
        for (const k of Object.keys(value).sort()) out[k] = JSON.parse(encodeJSON(value[k]!, false))
      }
      if (fields.length > 0) {
        out ??= {}
        for (const [k, f] of fields) {
          try {
            out[k] = f.text(view, i)
          } catch (err) {
            logger.error(`Field ${k} interpolation error: ${errorOf(err).message}`)
            return undefined
          }
        }
      }
      return out
    }

    return {
      process(batch: Batch): Batch[] {
        const view = new BatchView(batch)
        for (let i = 0; i < batch.length; i++) {
          const extra = mapping === undefined && fields.length === 0 ? undefined : fieldsOf(view, i)
          if (extra === undefined && (mapping !== undefined || fields.length > 0)) continue
          let text: string
          try {
            text = message.text(view, i)
          } catch (err) {
            logger.error(`Message interpolation error: ${errorOf(err).message}`)
            continue
          }
          print(logger, text, extra)
        }
        return [batch]
      },
    }
  },
}
