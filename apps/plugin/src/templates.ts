// Bento templates (`-t file.yaml`, `template lint`): a component defined in YAML by its fields and
// a Bloblang mapping from those fields to the config of an existing component. Registered in the
// environment, a template is used, linted and listed like any component.
import { readFileSync } from 'node:fs'
import { type Executor, encodeJSON, parse } from '@bento-ts/bloblang'
import {
  addPlugin,
  type ComponentKind,
  type ComponentSpec,
  type ConfigProblem,
  type Environment,
  type FieldSpec,
  type FieldType,
  field,
  findPlugin,
  type Plugin,
  parseComponentValue,
  parseConfig,
} from '@bento-ts/core'
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml'
import { expandPaths } from './paths.ts'

const templateFieldFields = [
  field.string('name', { description: 'the name of the field' }),
  field.string('description', { default: '' }),
  field.string('type', { options: ['string', 'int', 'float', 'bool', 'unknown'] }),
  field.string('kind', { default: 'scalar', options: ['scalar', 'map', 'list'] }),
  field.any('default', { optional: true }),
  field.bool('advanced', { default: false }),
]

export const templateFields: FieldSpec[] = [
  field.string('name', { description: 'the name of the component this template creates' }),
  field.string('type', { options: ['cache', 'input', 'output', 'processor', 'rate_limit'] }),
  field.string('status', { default: 'stable', options: ['stable', 'beta', 'experimental'] }),
  field.array('categories', 'string', { default: [] }),
  field.string('summary', { default: '' }),
  field.string('description', { default: '' }),
  field.array('fields', templateFieldFields, { default: [] }),
  field.bloblang('mapping', { description: 'maps the fields to the config of the component it stands for' }),
  field.bloblang('metrics_mapping', { default: '' }),
  field.array(
    'tests',
    [field.string('name'), field.any('config', { default: {} }), field.any('expected', { optional: true })],
    { default: [] },
  ),
]

interface TemplateField {
  name: string
  description: string
  type: 'string' | 'int' | 'float' | 'bool' | 'unknown'
  kind: 'scalar' | 'map' | 'list'
  default?: unknown
  advanced: boolean
}

export interface Template {
  name: string
  type: ComponentKind
  status: 'stable' | 'beta' | 'experimental'
  categories: string[]
  summary: string
  description: string
  fields: TemplateField[]
  mapping: string
  tests: { name: string; config: unknown; expected?: unknown }[]
  /** where each test is written, for problems */
  testLines: number[]
}

const scalarType: Record<TemplateField['type'], FieldType> = {
  string: 'string',
  int: 'int',
  float: 'float',
  bool: 'bool',
  unknown: 'any',
}

function fieldSpecOf(f: TemplateField): FieldSpec {
  const options = {
    description: f.description,
    advanced: f.advanced,
    ...(f.default === undefined ? {} : { default: f.default }),
  }
  const type = scalarType[f.type]
  if (f.kind === 'list') return field.array(f.name, type, options)
  if (f.kind === 'map') return field.map(f.name, type, options)
  return { name: f.name, type, ...options }
}

export function templateSpec(t: Template): ComponentSpec {
  return {
    name: t.name,
    kind: t.type,
    status: t.status,
    summary: t.summary,
    description: t.description,
    categories: t.categories,
    fields: t.fields.map(fieldSpecOf),
  }
}

/** Reads a template file; problems carry the file, line and column. */
export function readTemplate(
  path: string,
  env: Environment,
): { template?: Template; problems: ConfigProblem[] } {
  const text = readFileSync(path, 'utf8')
  const { config, problems } = parseConfig(text, templateFields, env, { file: path })
  if (problems.length > 0) return { problems }
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  const tests = isMap(doc.contents) ? doc.contents.get('tests', true) : undefined
  const testLines = isSeq(tests)
    ? tests.items.map((n) => lines.linePos((n as { range?: [number] }).range?.[0] ?? 0).line)
    : []
  return { template: { ...(config as unknown as Template), testLines }, problems: [] }
}

/** The config of the component a template stands for, from a config of the template. */
export function expand(executor: Executor, config: unknown): unknown {
  // plain data again (Bloblang numbers and timestamps as JSON has them) for the config parser
  return JSON.parse(encodeJSON(executor.query(config as never), false)) as unknown
}

/** The template as a component: its config is mapped, then built as the component it names. */
export function templatePlugin(t: Template, env: Environment): Plugin {
  const executor = parse(t.mapping)
  return {
    spec: templateSpec(t),
    async create(config, context) {
      let mapped: unknown
      try {
        mapped = expand(executor, config)
      } catch (err) {
        throw new Error(`mapping failed for template component: ${(err as Error).message}`)
      }
      const { component, problems } = parseComponentValue(t.type, mapped, env, context.path)
      if (component === undefined || problems.length > 0)
        throw new Error(
          `mapping for template component resulted in invalid config: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        )
      if (t.type === 'input') return context.build.input(component)
      if (t.type === 'output') return context.build.output(component)
      if (t.type === 'processor') {
        const [processor] = await context.build.processors([component])
        return processor!
      }
      return findPlugin(env, t.type, component.type)!.create(component.config as never, context)
    },
  }
}

/** Registers every template under the paths (globs allowed); throws listing the problems. */
export function registerTemplates(paths: readonly string[], env: Environment): void {
  const problems: string[] = []
  for (const path of expandPaths(paths)) {
    const { template, problems: found } = readTemplate(path, env)
    for (const p of found)
      problems.push(`template file ${path}:${p.line}:${p.column}: ${p.path}: ${p.message}`)
    if (template !== undefined) addPlugin(env, templatePlugin(template, env))
  }
  if (problems.length > 0) throw new Error(problems.join('\n'))
}

/** `template lint`: the template's own problems, then each test's result linted and compared. */
export function lintTemplate(path: string, env: Environment): string[] {
  const { template, problems } = readTemplate(path, env)
  const out = problems.map(
    (p) => `${path}:${p.line}:${p.column}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`,
  )
  if (template === undefined) return out
  const executor = parse(template.mapping)
  template.tests.forEach((test, i) => {
    const at = `${path}:${template.testLines[i] ?? 0}:1: test '${test.name}'`
    // the test's config gets the template's defaults, as a config using the template would
    const parsed = parseComponentValue(
      template.type,
      { [template.name]: test.config },
      withTemplate(env, template),
      `tests.${i}.config`,
    )
    if (parsed.component === undefined || parsed.problems.length > 0) {
      for (const p of parsed.problems) out.push(`${at}: invalid config: ${p.path}: ${p.message}`)
      return
    }
    let mapped: unknown
    try {
      mapped = expand(executor, parsed.component.config)
    } catch (err) {
      out.push(`${at}: mapping failed: ${(err as Error).message}`)
      return
    }
    const result = parseComponentValue(template.type, mapped, env, '')
    for (const p of result.problems)
      out.push(`${at}: lint error in resulting config: ${p.path}: ${p.message}`)
    if (
      test.expected !== undefined &&
      JSON.stringify(sortKeys(mapped)) !== JSON.stringify(sortKeys(test.expected))
    )
      out.push(
        `${at}: mismatch between expected and actual resulting config: expected ${JSON.stringify(sortKeys(test.expected))}, got ${JSON.stringify(sortKeys(mapped))}`,
      )
  })
  return out
}

/** An environment that knows this template too (for parsing its tests' configs). */
function withTemplate(env: Environment, t: Template): Environment {
  if (findPlugin(env, t.type, t.name) !== undefined) return env
  const copy: Environment = {
    plugins: new Map([...env.plugins].map(([k, v]) => [k, new Map(v)])),
  }
  addPlugin(copy, templatePlugin(t, env))
  return copy
}

const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, x]) => [k, sortKeys(x)]),
        )
      : v
