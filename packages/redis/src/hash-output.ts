// `redis_hash` output: HSET of the fields gathered for each message — its metadata
// (`walk_metadata`), then the members of its JSON object (`walk_json_object`), then the explicit
// `fields`; a later source overwrites an earlier one's field of the same name.
import { encodeJSON, typeOf, type Value, type VObject } from '@bento-ts/bloblang'
import { FieldError, field, type Message } from '@bento-ts/core'
import {
  type BatchView,
  defineOutput,
  type FieldInterpolation,
  interpolation,
  interpolationMap,
  maxInFlightField,
} from '@bento-ts/core/kit'
import { redisClientFields } from './client.ts'
import { type Command, perMessage, redisOutput } from './output.ts'

/**
 * A JSON member as a hash field: strings as they are, booleans as 1/0 and null as "" (what
 * go-redis writes for Bento), numbers, arrays and objects as their JSON text.
 */
export function hashValue(value: Value): string {
  if (typeof value === 'string') return value
  if (value === null) return ''
  if (typeof value === 'boolean') return value ? '1' : '0'
  return encodeJSON(value, false)
}

export function hashFields(
  message: Message,
  index: number,
  view: BatchView,
  o: { walkMetadata: boolean; walkJson: boolean; fields: [string, FieldInterpolation][] },
): Map<string, string> {
  const out = new Map<string, string>()
  if (o.walkMetadata) for (const key of message.metadata.keys()) out.set(key, message.metaString(key) ?? '')
  if (o.walkJson) {
    let value: Value
    try {
      value = message.structured()
    } catch (err) {
      throw new Error(`failed to walk JSON object: ${(err as Error).message}`)
    }
    if (typeOf(value) !== 'object')
      throw new Error(`failed to walk JSON object: expected JSON object, found ${typeOf(value)}`)
    for (const [key, member] of Object.entries(value as VObject)) out.set(key, hashValue(member))
  }
  for (const [name, source] of o.fields) out.set(name, source.text(view, index))
  return out
}

export const redisHashOutputPlugin = defineOutput({
  name: 'redis_hash',
  status: 'stable',
  categories: ['Services'],
  summary: 'Sets Redis hash objects using the HMSET command.',
  description:
    'The field `key` supports interpolation functions, allowing you to create a unique key for each message.\n\nThe field `fields` allows you to specify an explicit map of field names to interpolated values, also evaluated per message of a batch.\n\nIf the field `walk_metadata` is set to `true` then all metadata fields of messages are added to the list of hash fields to set.\n\nIf the field `walk_json_object` is set to `true` then each message is walked as a JSON object, extracting keys and the string representation of their value and adding them to the list of hash fields to set.\n\nThe order of hash field extraction is as follows:\n\n1. Metadata (if enabled)\n2. JSON object (if enabled)\n3. Explicit fields\n\nWhere latter stages will overwrite matching field names of a former stage.',
  fields: [
    ...redisClientFields,
    field.interpolated('key', {
      description:
        'The key for each message, function interpolations should be used to create a unique key per message.',
      examples: ['${! @.kafka_key }', '${! this.doc.id }', '${! count("msgs") }'],
    }),
    field.bool('walk_metadata', {
      default: false,
      description:
        'Whether all metadata fields of messages should be walked and added to the list of hash fields to set.',
    }),
    field.bool('walk_json_object', {
      default: false,
      description:
        'Whether to walk each message as a JSON object and add each key/value pair to the list of hash fields to set.',
    }),
    field.map('fields', 'string', {
      default: {},
      interpolated: true,
      description: 'A map of key/value pairs to set as hash fields.',
    }),
    maxInFlightField(),
  ],
  create(config, context) {
    const key = interpolation('key', config.key)
    const fields = interpolationMap('fields', config.fields)
    if (!config.walk_metadata && !config.walk_json_object && fields.length === 0)
      throw new FieldError('fields', 'at least one mechanism for setting fields must be enabled')
    const o = { walkMetadata: config.walk_metadata, walkJson: config.walk_json_object, fields }
    return redisOutput(
      'redis_hash',
      config,
      context,
      perMessage((message, i, view) => {
        const name = key.text(view, i)
        const values = hashFields(message, i, view, o)
        if (values.size === 0) throw new Error(`redis_hash: message ${i} gives no field to set on ${name}`)
        const command: Command = ['HSET', name]
        for (const [f, v] of values) command.push(f, v)
        return command
      }),
    )
  },
})
