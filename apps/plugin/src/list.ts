// `list [kinds...] [--format] [--status]`: the components this build has, with their specs.
import {
  type ComponentKind,
  type ComponentSpec,
  componentSchema,
  type Environment,
  type FieldSpec,
  findPlugin,
  pluginNames,
} from '@bento-ts/core'

export const listFormats = ['text', 'json', 'json-full', 'json-full-scrubbed'] as const
export type ListFormat = (typeof listFormats)[number]

const kinds: ComponentKind[] = ['input', 'output', 'processor', 'cache', 'rate_limit', 'buffer']

/** A spec without its prose (descriptions, examples): what `json-full-scrubbed` prints. */
function scrubbed(spec: ComponentSpec): ComponentSpec {
  const field = (f: FieldSpec): FieldSpec => {
    const { description: _d, examples: _e, fields, ...rest } = f
    return { ...rest, ...(fields === undefined ? {} : { fields: fields.map(field) }) }
  }
  const { description: _d, fields, value, ...rest } = spec
  return {
    ...rest,
    ...(fields === undefined ? {} : { fields: fields.map(field) }),
    ...(value === undefined ? {} : { value: field(value) }),
  }
}

export function listComponents(
  env: Environment,
  wanted: readonly string[],
  format: ListFormat,
  statuses: readonly string[] = [],
): string {
  const chosen =
    wanted.length === 0 ? kinds : kinds.filter((k) => wanted.includes(k) || wanted.includes(`${k}s`))
  const names = (kind: ComponentKind) =>
    pluginNames(env, kind).filter(
      (n) => statuses.length === 0 || statuses.includes(findPlugin(env, kind, n)!.spec.status ?? 'stable'),
    )
  if (format === 'text') {
    const sections = chosen.map(
      (kind) =>
        `${kind}s:\n${names(kind)
          .map((n) => `  - ${n}`)
          .join('\n')}`,
    )
    return sections.join('\n\n')
  }
  const out: Record<string, unknown[]> = {}
  for (const kind of chosen) {
    out[`${kind}s`] = names(kind).map((name) => {
      const spec = findPlugin(env, kind, name)!.spec
      if (format === 'json') return name
      const shown = format === 'json-full-scrubbed' ? scrubbed(spec) : spec
      return { ...shown, config_schema: componentSchema(shown) }
    })
  }
  return JSON.stringify(out, null, 2)
}
