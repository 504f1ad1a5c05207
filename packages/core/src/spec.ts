// A component declares its config once, as data. The same spec parses a config (types, defaults,
// required fields), lints it (unknown fields with suggestions, positions), renders docs and `list`
// output, and produces a JSON schema.

export type FieldType =
  | 'string'
  | 'int'
  | 'float'
  | 'bool'
  | 'duration'
  | 'object'
  | 'array'
  | 'map'
  | 'any'
  | 'bloblang'
  | ComponentKind

export interface FieldSpec {
  name: string
  type: FieldType
  description?: string
  /** present: the field may be omitted and takes this value */
  default?: unknown
  /** omitted without a default: absent from the parsed config */
  optional?: boolean
  /** never printed: logs, errors, `list` examples and status output mask it */
  secret?: boolean
  /** a `${! }` interpolated string */
  interpolated?: boolean
  advanced?: boolean
  deprecated?: boolean
  /** allowed values of a string field */
  options?: readonly string[]
  /** fields of an object, or of each element of an array/map of objects */
  fields?: readonly FieldSpec[]
  /** element type of an array or map that is not an object */
  items?: FieldType
  /** element spec of an array whose elements are lists themselves (a list of batches) */
  element?: FieldSpec
  examples?: readonly unknown[]
}

export type ComponentKind = 'input' | 'output' | 'processor' | 'cache' | 'rate_limit' | 'buffer'
export type ComponentStatus = 'stable' | 'beta' | 'experimental' | 'deprecated'

export interface ComponentSpec {
  name: string
  kind: ComponentKind
  status?: ComponentStatus
  summary: string
  description?: string
  /** the config is an object with these fields… */
  fields?: readonly FieldSpec[]
  /** …or a single value, like `mapping: <string>` or `catch: [processors]` */
  value?: FieldSpec
  /** batch-capable outputs/inputs take `batching` */
  categories?: readonly string[]
}

type FieldOptions = Omit<FieldSpec, 'name' | 'type'>

function make(type: FieldType) {
  return (name: string, options: FieldOptions = {}): FieldSpec => ({ name, type, ...options })
}

/** Terse constructors: `field.string('url', { description: '…' })`. */
export const field = {
  string: make('string'),
  int: make('int'),
  float: make('float'),
  bool: make('bool'),
  duration: make('duration'),
  any: make('any'),
  bloblang: make('bloblang'),
  input: make('input'),
  output: make('output'),
  processor: make('processor'),
  component: (kind: ComponentKind, name: string, options: FieldOptions = {}): FieldSpec => ({
    name,
    type: kind,
    ...options,
  }),
  interpolated: (name: string, options: FieldOptions = {}): FieldSpec => ({
    name,
    type: 'string',
    interpolated: true,
    ...options,
  }),
  object: (name: string, fields: readonly FieldSpec[], options: FieldOptions = {}): FieldSpec => ({
    name,
    type: 'object',
    fields,
    ...options,
  }),
  array: (name: string, items: FieldType | readonly FieldSpec[], options: FieldOptions = {}): FieldSpec =>
    typeof items === 'string'
      ? { name, type: 'array', items, ...options }
      : { name, type: 'array', fields: items, ...options },
  map: (name: string, items: FieldType | readonly FieldSpec[], options: FieldOptions = {}): FieldSpec =>
    typeof items === 'string'
      ? { name, type: 'map', items, ...options }
      : { name, type: 'map', fields: items, ...options },
}

/** Whether leaving the field out of a config is an error. */
export const isRequired = (f: FieldSpec): boolean => f.default === undefined && f.optional !== true

/** The config a component gets when every field takes its default (required ones left out). */
export function defaultsOf(fields: readonly FieldSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    if (f.default !== undefined) out[f.name] = structuredClone(f.default)
    else if (f.type === 'object' && f.fields !== undefined && f.optional !== true) {
      const nested = defaultsOf(f.fields)
      if (f.fields.every((c) => !isRequired(c))) out[f.name] = nested
    }
  }
  return out
}

const jsonType: Record<FieldType, object> = {
  string: { type: 'string' },
  int: { type: 'integer' },
  float: { type: 'number' },
  bool: { type: 'boolean' },
  duration: { type: 'string', pattern: '^(-?(\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h))+$|^0$' },
  object: { type: 'object' },
  array: { type: 'array' },
  map: { type: 'object' },
  any: {},
  bloblang: { type: 'string' },
  input: { $ref: '#/$defs/input' },
  output: { $ref: '#/$defs/output' },
  processor: { $ref: '#/$defs/processor' },
  cache: { $ref: '#/$defs/cache' },
  rate_limit: { $ref: '#/$defs/rate_limit' },
  buffer: { $ref: '#/$defs/buffer' },
}

/** JSON schema (draft 2020-12) of one field. */
export function fieldSchema(f: FieldSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { ...jsonType[f.type] }
  if (f.description !== undefined) out.description = f.description
  if (f.default !== undefined) out.default = f.default
  if (f.options !== undefined) out.enum = [...f.options]
  if (f.type === 'object' && f.fields !== undefined) Object.assign(out, objectSchema(f.fields))
  if (f.type === 'array') {
    out.items =
      f.element !== undefined
        ? fieldSchema(f.element)
        : f.fields !== undefined
          ? objectSchema(f.fields)
          : f.items
            ? fieldSchema({ name: '', type: f.items })
            : {}
  }
  if (f.type === 'map') {
    out.additionalProperties =
      f.fields !== undefined
        ? objectSchema(f.fields)
        : f.items
          ? fieldSchema({ name: '', type: f.items })
          : {}
  }
  return out
}

export function objectSchema(fields: readonly FieldSpec[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f)])),
    required: fields.filter(isRequired).map((f) => f.name),
    additionalProperties: false,
  }
}

/** JSON schema of a component's config value. */
export function componentSchema(spec: ComponentSpec): Record<string, unknown> {
  if (spec.value !== undefined) return fieldSchema(spec.value)
  return objectSchema(spec.fields ?? [])
}
