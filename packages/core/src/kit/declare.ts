// One declaration per component: its name, kind, status and docs, its fields (the spec that
// drives parsing, lint, docs and schema) and its factory. The factory's config is typed from the
// fields, so a connector never writes a second, hand-kept config interface.
import type { ComponentContext, ComponentOf, Plugin } from '../component.ts'
import type { ComponentKind, ComponentSpec, ComponentStatus, ConfigOf, FieldSpec } from '../spec.ts'

/** What a component declaration holds besides its kind. */
export interface Declaration<K extends ComponentKind, F extends readonly FieldSpec[]> {
  name: string
  status?: ComponentStatus
  summary: string
  description?: string
  categories?: readonly string[]
  fields: F
  /** Builds the component; throw a FieldError for a config value it cannot work with. */
  create(config: ConfigOf<F>, context: ComponentContext): ComponentOf<K> | Promise<ComponentOf<K>>
}

/** A declared component: what an environment registers. */
export type Component<K extends ComponentKind = ComponentKind> = Plugin<K>

function declare<K extends ComponentKind, F extends readonly FieldSpec[]>(
  kind: K,
  d: Declaration<K, F>,
): Component<K> {
  const spec: ComponentSpec & { kind: K } = {
    name: d.name,
    kind,
    summary: d.summary,
    fields: d.fields,
    ...(d.status === undefined ? {} : { status: d.status }),
    ...(d.description === undefined ? {} : { description: d.description }),
    ...(d.categories === undefined ? {} : { categories: d.categories }),
  }
  return { spec, create: (config: ConfigOf<F>, context) => d.create(config, context) }
}

/** Declares an input: `defineInput({ name, summary, fields: [...], create(config, context) })`. */
export const defineInput = <const F extends readonly FieldSpec[]>(d: Declaration<'input', F>) =>
  declare('input', d)

/** Declares an output. Build it with `outputSkeleton` so max_in_flight and batching reach the runtime. */
export const defineOutput = <const F extends readonly FieldSpec[]>(d: Declaration<'output', F>) =>
  declare('output', d)

export const defineProcessor = <const F extends readonly FieldSpec[]>(d: Declaration<'processor', F>) =>
  declare('processor', d)

export const defineCache = <const F extends readonly FieldSpec[]>(d: Declaration<'cache', F>) =>
  declare('cache', d)

export const defineRateLimit = <const F extends readonly FieldSpec[]>(d: Declaration<'rate_limit', F>) =>
  declare('rate_limit', d)
