// `create [--small] inputs/processors/outputs`: a new config with the components named, each
// with its fields at their defaults (--small: without the advanced ones), as `bento create` does.
import {
  type ComponentKind,
  type Environment,
  type FieldSpec,
  findPlugin,
  isRequired,
  streamFields,
} from '@bento-ts/core'
import { Document, isCollection, isScalar } from 'yaml'

type Path = (string | number)[]

/** A field written without a default: Bento comments it `# No default (required|optional)`. */
interface Placeholder {
  path: Path
  required: boolean
}

interface Created {
  config: Record<string, unknown>
  placeholders: Placeholder[]
}

function componentConfig(env: Environment, kind: ComponentKind, name: string, small: boolean): Created {
  const plugin = findPlugin(env, kind, name)
  if (plugin === undefined) throw new Error(`unrecognised ${kind} type: ${name}`)
  const { spec } = plugin
  // a copy of each default: the spec's own object twice in one config would print as a YAML alias
  if (spec.value !== undefined) {
    const { value, placeholders } = fieldValue(spec.value, [name])
    return { config: { [name]: value }, placeholders }
  }
  const fields = (spec.fields ?? []).filter((f) => !(small && f.advanced === true) && f.deprecated !== true)
  const values: Record<string, unknown> = {}
  const placeholders: Placeholder[] = []
  for (const f of fields) {
    const field = fieldValue(f, [name, f.name])
    values[f.name] = field.value
    placeholders.push(...field.placeholders)
  }
  return { config: { [name]: values }, placeholders }
}

/** A field's default; without one, its first example (or an empty value of its type), marked. */
function fieldValue(f: FieldSpec, path: Path): { value: unknown; placeholders: Placeholder[] } {
  if (f.default !== undefined) return { value: structuredClone(f.default), placeholders: [] }
  const value = f.examples !== undefined && f.examples.length > 0 ? structuredClone(f.examples[0]) : empty(f)
  return { value, placeholders: [{ path, required: isRequired(f) }] }
}

const empty = (f: FieldSpec): unknown =>
  f.type === 'array'
    ? []
    : f.type === 'object' || f.type === 'map'
      ? {}
      : f.type === 'int' || f.type === 'float'
        ? 0
        : f.type === 'bool'
          ? false
          : ''

const under = (prefix: Path, placeholders: Placeholder[]): Placeholder[] =>
  placeholders.map((p) => ({ ...p, path: [...prefix, ...p.path] }))

/** One section's components: the one itself, or a broker of several (none: the default). */
function section(created: Created[], at: Path, broker: 'inputs' | 'outputs', otherwise: unknown): Created {
  if (created.length === 0) return { config: otherwise as Record<string, unknown>, placeholders: [] }
  if (created.length === 1)
    return { config: created[0]!.config, placeholders: under(at, created[0]!.placeholders) }
  return {
    config: { broker: { [broker]: created.map((c) => c.config) } },
    placeholders: created.flatMap((c, i) => under([...at, 'broker', broker, i], c.placeholders)),
  }
}

/**
 * `bento create`: the stream config's top-level fields in their order, each at its default (with
 * --small, only input, buffer, pipeline and output), the components named in the expression with
 * their fields.
 */
export function createConfig(expression: string | undefined, env: Environment, small: boolean): string {
  const parts = expression === undefined || expression === '' ? [] : expression.split('/')
  if (parts.length > 3)
    throw new Error('invalid expression: more than three sections (inputs/processors/outputs)')
  const named = (i: number, kind: ComponentKind) =>
    (parts[i] ?? '')
      .split(',')
      .filter((s) => s !== '')
      .map((n) => componentConfig(env, kind, n, small))
  const input = section(named(0, 'input'), ['input'], 'inputs', { stdin: {} })
  const processors = named(1, 'processor')
  const output = section(named(2, 'output'), ['output'], 'outputs', { stdout: {} })
  const sections: Record<string, unknown> = {
    input: input.config,
    pipeline: { threads: -1, processors: processors.map((p) => p.config) },
    output: output.config,
  }
  const placeholders = [
    ...input.placeholders,
    ...processors.flatMap((p, i) => under(['pipeline', 'processors', i], p.placeholders)),
    ...output.placeholders,
  ]
  const conf: Record<string, unknown> = {}
  for (const f of streamFields) {
    if (f.name in sections) conf[f.name] = sections[f.name]
    else if (f.name === 'buffer' || (!small && f.default !== undefined))
      conf[f.name] = structuredClone(f.default)
    else if (!small && f.name === 'tests') conf.tests = []
  }
  const doc = new Document(conf)
  for (const p of placeholders) {
    const node = doc.getIn(p.path, true)
    if (isScalar(node) || isCollection(node))
      node.comment = ` No default (${p.required ? 'required' : 'optional'})`
  }
  // Bento ends the file with a blank line
  return `${doc.toString()}\n`
}
