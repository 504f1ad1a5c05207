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

/** Whether a parsed config always holds a field (it has a default, or is required) or may lack it. */
export type Presence = 'always' | 'maybe'

declare const valueType: unique symbol
declare const presence: unique symbol

/**
 * One field of a component's config. The type parameters exist only for TypeScript: a spec built
 * with the `field` constructors carries its field's name, value type and presence, so
 * `ConfigOf<typeof fields>` is the parsed config's type and a factory never takes `any`.
 */
export interface FieldSpec<N extends string = string, T = unknown, P extends Presence = Presence> {
  name: N
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
  /**
   * the string (or each string of an array) is the label of a resource of this kind: lint and
   * start refuse a label that no `*_resources` list declares
   */
  resource?: ResourceKind
  /** element spec of an array whose elements are lists themselves (a list of batches) */
  element?: FieldSpec
  examples?: readonly unknown[]
  readonly [valueType]?: T
  readonly [presence]?: P
}

export type ComponentKind = 'input' | 'output' | 'processor' | 'cache' | 'rate_limit' | 'buffer'
/** the kinds a config can declare as resources (`cache_resources`, …) and refer to by label */
export type ResourceKind = 'input' | 'output' | 'processor' | 'cache' | 'rate_limit'

/** A label a config refers to, and where (a reference field's value). */
export interface ResourceReference {
  kind: ResourceKind
  label: string
  /** config path of the field */
  path: string
}

/**
 * The resource labels a component's own config names (nested components name theirs
 * themselves): the same spec marker drives lint positions and the check at start.
 */
export function referencesOf(spec: ComponentSpec, config: unknown, path: string): ResourceReference[] {
  const out: ResourceReference[] = []
  const visit = (f: FieldSpec, value: unknown, at: string) => {
    if (value === undefined || value === null) return
    if (f.resource !== undefined) {
      const labels = Array.isArray(value) ? value : [value]
      labels.forEach((label, i) => {
        if (typeof label === 'string' && label !== '')
          out.push({ kind: f.resource!, label, path: Array.isArray(value) ? `${at}.${i}` : at })
      })
      return
    }
    if (f.fields === undefined || typeof value !== 'object') return
    const objects =
      f.type === 'object' ? [[at, value]] : Object.entries(value as object).map(([k, v]) => [`${at}.${k}`, v])
    for (const [where, obj] of objects as [string, Record<string, unknown>][]) {
      if (obj === null || typeof obj !== 'object') continue
      for (const child of f.fields) visit(child, obj[child.name], `${where}.${child.name}`)
    }
  }
  if (spec.value !== undefined) visit(spec.value, config, path)
  else visit({ name: '', type: 'object', fields: spec.fields ?? [] }, config, path)
  return out
}
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

/** The value a parsed config holds for one field. */
export type ValueOf<F> = F extends FieldSpec<string, infer T, Presence> ? T : never

type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** The parsed config of a list of fields: defaults applied, optional fields possibly absent. */
export type ConfigOf<F extends readonly FieldSpec[]> = Simplify<
  {
    [K in F[number] as K extends FieldSpec<infer N, unknown, 'always'> ? N : never]: ValueOf<K>
  } & {
    [K in F[number] as K extends FieldSpec<infer N, unknown, 'maybe'> ? N : never]?: ValueOf<K>
  }
>

export type FieldOptions = Omit<FieldSpec, 'name' | 'type' | typeof valueType | typeof presence>

/** `optional: true` without a default: the parsed config may lack the field. */
export type PresenceOf<O> = O extends { default: infer D }
  ? [D] extends [undefined]
    ? O extends { optional: true }
      ? 'maybe'
      : 'always'
    : 'always'
  : O extends { optional: true }
    ? 'maybe'
    : 'always'

/** The parsed value of a component-typed field (processors, inputs, outputs, …). */
export interface ParsedComponentValue {
  type: string
  label: string
  config: unknown
  processors: ParsedComponentValue[]
  path: string
}

type ItemValue<I extends FieldType> = I extends 'string' | 'duration' | 'bloblang'
  ? string
  : I extends 'int' | 'float'
    ? number
    : I extends 'bool'
      ? boolean
      : I extends ComponentKind
        ? ParsedComponentValue
        : unknown

/** no options given (`{}` to the type checker) */
type NoOptions = Record<never, never>

type Options<S extends string> = Omit<FieldOptions, 'options'> & { options?: readonly S[] }

function make<T>(type: FieldType) {
  return <const N extends string, const O extends FieldOptions = NoOptions>(
    name: N,
    options?: O,
  ): FieldSpec<N, T, PresenceOf<O>> => ({ name, type, ...options }) as FieldSpec<N, T, PresenceOf<O>>
}

function stringField(type: 'string' | 'bloblang' | 'duration', interpolated = false) {
  return <const N extends string, const S extends string = string, const O extends Options<S> = NoOptions>(
    name: N,
    options?: O & { options?: readonly S[] },
  ): FieldSpec<N, string extends S ? string : S, PresenceOf<O>> =>
    (interpolated ? { name, type, interpolated: true, ...options } : { name, type, ...options }) as FieldSpec<
      N,
      string extends S ? string : S,
      PresenceOf<O>
    >
}

function componentField<K extends ComponentKind>(kind: K) {
  return <const N extends string, const O extends FieldOptions = NoOptions>(
    name: N,
    options?: O,
  ): FieldSpec<N, ParsedComponentValue, PresenceOf<O>> =>
    ({ name, type: kind, ...options }) as FieldSpec<N, ParsedComponentValue, PresenceOf<O>>
}

function collection<C extends 'array' | 'map'>(type: C) {
  return <
    const N extends string,
    const I extends FieldType | readonly FieldSpec[],
    const O extends FieldOptions = NoOptions,
  >(
    name: N,
    items: I,
    options?: O,
  ): FieldSpec<N, CollectionOf<C, I>, PresenceOf<O>> =>
    (typeof items === 'string'
      ? { name, type, items, ...options }
      : { name, type, fields: items, ...options }) as unknown as FieldSpec<
      N,
      CollectionOf<C, I>,
      PresenceOf<O>
    >
}

type Element<I> = I extends FieldType ? ItemValue<I> : I extends readonly FieldSpec[] ? ConfigOf<I> : never
type CollectionOf<C extends 'array' | 'map', I> = C extends 'array'
  ? Element<I>[]
  : Record<string, Element<I>>

/**
 * Terse constructors: `field.string('url', { description: '…' })`. Each returns a plain field
 * spec whose TypeScript type knows the parsed value (`field.int` → number, `field.string` with
 * `options` → the union of them, `field.object` → its fields' config).
 */
export const field = {
  string: stringField('string'),
  int: make<number>('int'),
  float: make<number>('float'),
  bool: make<boolean>('bool'),
  /** a Go duration string (`500ms`, `1m30s`): read it with `parseDuration` */
  duration: stringField('duration'),
  any: make<unknown>('any'),
  bloblang: stringField('bloblang'),
  input: componentField('input'),
  output: componentField('output'),
  processor: componentField('processor'),
  component: <K extends ComponentKind, const N extends string, const O extends FieldOptions = NoOptions>(
    kind: K,
    name: N,
    options?: O,
  ): FieldSpec<N, ParsedComponentValue, PresenceOf<O>> => componentField(kind)(name, options),
  interpolated: stringField('string', true),
  object: <
    const N extends string,
    const F extends readonly FieldSpec[],
    const O extends FieldOptions = NoOptions,
  >(
    name: N,
    fields: F,
    options?: O,
  ): FieldSpec<N, ConfigOf<F>, PresenceOf<O>> =>
    ({ name, type: 'object', fields, ...options }) as FieldSpec<N, ConfigOf<F>, PresenceOf<O>>,
  array: collection('array'),
  map: collection('map'),
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
