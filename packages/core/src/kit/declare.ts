// One declaration per component: its name, kind, status and docs, its fields (the spec that
// drives parsing, lint, docs and schema) and its factory. The factory's config is typed from the
// fields, so a connector never writes a second, hand-kept config interface.
import type { ComponentContext, ComponentOf, Plugin } from '../component.ts'
import type { ComponentKind, ComponentSpec, ComponentStatus, ConfigOf, FieldSpec, ValueOf } from '../spec.ts'

interface About {
  name: string
  status?: ComponentStatus
  summary: string
  description?: string
  categories?: readonly string[]
}

type Created<K extends ComponentKind> = ComponentOf<K> | Promise<ComponentOf<K>>

/** What a component declaration holds besides its kind. */
export interface Declaration<K extends ComponentKind, F extends readonly FieldSpec[]> extends About {
  fields: F
  /** Builds the component; throw a FieldError for a config value it cannot work with. */
  create(config: ConfigOf<F>, context: ComponentContext): Created<K>
}

/**
 * A component whose config is a single value rather than an object of fields: `reject: <error>`,
 * `fallback: [outputs]`, `resource: <label>`.
 */
export interface ValueDeclaration<K extends ComponentKind, V extends FieldSpec> extends About {
  value: V
  /** Builds the component from the value; throw an error saying what is wrong with it. */
  create(config: ValueOf<V>, context: ComponentContext): Created<K>
}

/** A declared component: what an environment registers. */
export type Component<K extends ComponentKind = ComponentKind> = Plugin<K>

function declare<K extends ComponentKind>(
  kind: K,
  d: About & ({ fields: readonly FieldSpec[] } | { value: FieldSpec }) & { create: Plugin<K>['create'] },
): Component<K> {
  const spec: ComponentSpec & { kind: K } = {
    name: d.name,
    kind,
    summary: d.summary,
    ...('value' in d ? { value: d.value } : { fields: d.fields }),
    ...(d.status === undefined ? {} : { status: d.status }),
    ...(d.description === undefined ? {} : { description: d.description }),
    ...(d.categories === undefined ? {} : { categories: d.categories }),
  }
  return { spec, create: (config, context) => d.create(config, context) }
}

/** Declares an input: `defineInput({ name, summary, fields: [...], create(config, context) })`. */
export function defineInput<const F extends readonly FieldSpec[]>(
  d: Declaration<'input', F>,
): Component<'input'>
export function defineInput<const V extends FieldSpec>(d: ValueDeclaration<'input', V>): Component<'input'>
export function defineInput(d: Parameters<typeof declare<'input'>>[1]) {
  return declare('input', d)
}

/** Declares an output. Build it with `outputSkeleton` so max_in_flight and batching reach the runtime. */
export function defineOutput<const F extends readonly FieldSpec[]>(
  d: Declaration<'output', F>,
): Component<'output'>
export function defineOutput<const V extends FieldSpec>(d: ValueDeclaration<'output', V>): Component<'output'>
export function defineOutput(d: Parameters<typeof declare<'output'>>[1]) {
  return declare('output', d)
}

export function defineProcessor<const F extends readonly FieldSpec[]>(
  d: Declaration<'processor', F>,
): Component<'processor'>
export function defineProcessor<const V extends FieldSpec>(
  d: ValueDeclaration<'processor', V>,
): Component<'processor'>
export function defineProcessor(d: Parameters<typeof declare<'processor'>>[1]) {
  return declare('processor', d)
}

export function defineCache<const F extends readonly FieldSpec[]>(
  d: Declaration<'cache', F>,
): Component<'cache'>
export function defineCache(d: Parameters<typeof declare<'cache'>>[1]) {
  return declare('cache', d)
}

export function defineRateLimit<const F extends readonly FieldSpec[]>(
  d: Declaration<'rate_limit', F>,
): Component<'rate_limit'>
export function defineRateLimit(d: Parameters<typeof declare<'rate_limit'>>[1]) {
  return declare('rate_limit', d)
}
