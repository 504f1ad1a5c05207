// `create [--small] inputs/processors/outputs`: a new config with the components named, each
// with its fields at their defaults (--small: without the advanced ones), as `bento create` does.
import {
  type ComponentKind,
  type Environment,
  type FieldSpec,
  findPlugin,
  streamFields,
} from '@bento-ts/core'
import { stringify as toYAML } from 'yaml'

function componentConfig(env: Environment, kind: ComponentKind, name: string, small: boolean): unknown {
  const plugin = findPlugin(env, kind, name)
  if (plugin === undefined) throw new Error(`unrecognised ${kind} type: ${name}`)
  const { spec } = plugin
  // a copy of each default: the spec's own object twice in one config would print as a YAML alias
  if (spec.value !== undefined)
    return { [name]: structuredClone(spec.value.default) ?? placeholder(spec.value) }
  const fields = (spec.fields ?? []).filter((f) => !(small && f.advanced === true) && f.deprecated !== true)
  const values: Record<string, unknown> = {}
  for (const f of fields) values[f.name] = structuredClone(f.default) ?? placeholder(f)
  return { [name]: values }
}

/** A required field gets an empty value of its type, for the user to fill in. */
const placeholder = (f: FieldSpec): unknown =>
  f.type === 'array'
    ? []
    : f.type === 'object' || f.type === 'map'
      ? {}
      : f.type === 'int' || f.type === 'float'
        ? 0
        : f.type === 'bool'
          ? false
          : ''

export function createConfig(expression: string | undefined, env: Environment, small: boolean): string {
  const base: Record<string, unknown> = small
    ? {}
    : Object.fromEntries(
        streamFields
          .filter(
            (f) =>
              !['input', 'output', 'pipeline', 'tests'].includes(f.name) && !f.name.endsWith('_resources'),
          )
          .filter((f) => f.default !== undefined)
          .map((f) => [f.name, f.default]),
      )
  // --small is Bento's stream section alone: input, buffer, pipeline, output
  const buffer = streamFields.find((f) => f.name === 'buffer')?.default
  const conf: Record<string, unknown> = {
    ...base,
    input: { stdin: {} },
    ...(small ? { buffer } : {}),
    pipeline: { threads: -1, processors: [] },
    output: { stdout: {} },
  }
  if (expression !== undefined && expression !== '') {
    const parts = expression.split('/')
    if (parts.length > 3)
      throw new Error('invalid expression: more than three sections (inputs/processors/outputs)')
    const list = (i: number) => (parts[i] ?? '').split(',').filter((s) => s !== '')
    const inputs = list(0).map((n) => componentConfig(env, 'input', n, small))
    const processors = list(1).map((n) => componentConfig(env, 'processor', n, small))
    const outputs = list(2).map((n) => componentConfig(env, 'output', n, small))
    if (inputs.length === 1) conf.input = inputs[0]
    else if (inputs.length > 1) conf.input = { broker: { inputs } }
    conf.pipeline = { threads: -1, processors }
    if (outputs.length === 1) conf.output = outputs[0]
    else if (outputs.length > 1) conf.output = { broker: { outputs } }
  }
  return toYAML(conf)
}
