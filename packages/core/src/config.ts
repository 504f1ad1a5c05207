import { parseInterpolation, parse as parseMapping } from '@bento-ts/bloblang'
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLMap,
} from 'yaml'
import type { ParsedComponent } from './component.ts'
import { parseDuration } from './duration.ts'
import { type Environment, findPlugin, pluginNames } from './environment.ts'
import {
  type ComponentKind,
  type FieldSpec,
  type FieldType,
  isRequired,
  type ResourceReference,
} from './spec.ts'
import { didYouMean } from './suggest.ts'
import { clipFinalBlockScalar } from './yaml-block-scalar.ts'

/** One problem in a config, with where it is and what to do about it. */
export interface ConfigProblem {
  file?: string
  line: number
  column: number
  /** dotted config path: `input.kafka.addresses` */
  path: string
  message: string
}

export const formatProblem = (p: ConfigProblem): string =>
  `${p.file ?? '<config>'}:${p.line}:${p.column}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`

export class ConfigError extends Error {
  readonly problems: ConfigProblem[]
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'))
    this.name = 'ConfigError'
    this.problems = problems
  }
}

const componentKinds = new Set<FieldType>(['input', 'output', 'processor', 'cache', 'rate_limit', 'buffer'])

// `${VAR}` or `${VAR:default}`; `${! …}` is Bloblang interpolation and is left alone.
const envReference = /\$\{(?!!)([A-Za-z_][A-Za-z0-9_.]*)(?::([^}]*))?\}/g

/**
 * Replaces environment references in the raw text, before YAML parsing (as Bento does, so a
 * variable may hold YAML). A variable that is unset and has no default is a problem, not "".
 */
export function substituteEnv(
  text: string,
  env: Record<string, string | undefined>,
  file?: string,
): { text: string; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = []
  const lines = new LineCounter()
  let offset = 0
  for (const line of text.split('\n')) {
    lines.addNewLine(offset)
    offset += line.length + 1
  }
  const out = text.replace(envReference, (whole, name: string, fallback: string | undefined, at: number) => {
    const value = env[name]
    if (value !== undefined && value !== '') return value
    if (fallback !== undefined) return fallback
    const { line, col } = lines.linePos(at)
    problems.push({
      ...(file === undefined ? {} : { file }),
      line,
      column: col,
      path: '',
      message: `environment variable ${name} is not set and ${whole} has no default; set it or write \${${name}:default}`,
    })
    return ''
  })
  return { text: out, problems }
}

/** A resource label named in a config, with where it was written. */
export type LocatedReference = ResourceReference & Omit<ConfigProblem, 'message'>

interface ParseContext {
  env: Environment
  file: string | undefined
  lines: LineCounter
  problems: ConfigProblem[]
  references: LocatedReference[]
  /** `lint --labels`, `lint --deprecated` */
  requireLabels?: boolean
  lintDeprecated?: boolean
}

function problemAt(ctx: ParseContext, node: Node | null | undefined, path: string, message: string): void {
  const offset = node?.range?.[0] ?? 0
  const { line, col } = ctx.lines.linePos(offset)
  ctx.problems.push({
    ...(ctx.file === undefined ? {} : { file: ctx.file }),
    line,
    column: col,
    path,
    message,
  })
}

const join = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`)

function describe(node: Node): string {
  if (isMap(node)) return 'an object'
  if (isSeq(node)) return 'a list'
  if (isScalar(node))
    return node.value === null ? 'null' : `${typeof node.value} ${JSON.stringify(node.value)}`
  return 'an alias'
}

function scalarValue(node: Node): unknown {
  return isScalar(node) ? node.value : undefined
}

function parseValue(ctx: ParseContext, f: FieldSpec, node: Node, path: string): unknown {
  const wrong = (expected: string): undefined => {
    // A secret's value never appears in an error, even a wrongly typed one.
    const got =
      f.secret === true && isScalar(node)
        ? `a ${typeof node.value} (value hidden: secret field)`
        : describe(node)
    problemAt(ctx, node, path, `expected ${expected}, got ${got}`)
    return undefined
  }
  if (componentKinds.has(f.type)) return parseComponent(ctx, f.type as ComponentKind, node, path)
  switch (f.type) {
    case 'string':
    case 'bloblang': {
      const value = scalarValue(node)
      if (value === undefined || value === null || typeof value === 'object') return wrong('a string')
      const text = String(value)
      if (f.options !== undefined && !f.options.some((o) => o.toLowerCase() === text.toLowerCase())) {
        problemAt(
          ctx,
          node,
          path,
          `"${text}" is not one of ${f.options.join(', ')}${didYouMean(text, f.options)}`,
        )
      }
      if (f.type === 'bloblang' && text !== '') {
        try {
          parseMapping(text)
        } catch (err) {
          problemAt(ctx, node, path, `failed to parse mapping: ${(err as Error).message}`)
        }
      }
      if (f.resource !== undefined && text !== '') {
        const { line, col } = ctx.lines.linePos(node.range?.[0] ?? 0)
        ctx.references.push({
          kind: f.resource,
          label: text,
          path,
          line,
          column: col,
          ...(ctx.file === undefined ? {} : { file: ctx.file }),
        })
      }
      if (f.interpolated === true) {
        try {
          parseInterpolation(text)
        } catch (err) {
          problemAt(ctx, node, path, `failed to parse interpolation: ${(err as Error).message}`)
        }
      }
      return text
    }
    case 'int': {
      const value = scalarValue(node)
      return typeof value === 'number' && Number.isInteger(value) ? value : wrong('an integer')
    }
    case 'float': {
      const value = scalarValue(node)
      return typeof value === 'number' ? value : wrong('a number')
    }
    case 'bool': {
      const value = scalarValue(node)
      return typeof value === 'boolean' ? value : wrong('true or false')
    }
    case 'duration': {
      const value = scalarValue(node)
      if (typeof value !== 'string' && value !== 0) return wrong('a duration like "500ms" or "1m30s"')
      try {
        parseDuration(String(value))
      } catch (err) {
        problemAt(ctx, node, path, (err as Error).message)
      }
      return String(value)
    }
    case 'object':
      if (!isMap(node)) return wrong('an object')
      return parseFields(ctx, f.fields ?? [], node, path)
    case 'array': {
      if (!isSeq(node)) return wrong('a list')
      const element: FieldSpec =
        f.element !== undefined
          ? f.element
          : f.fields !== undefined
            ? { name: '', type: 'object', fields: f.fields }
            : {
                name: '',
                type: f.items ?? 'any',
                ...(f.resource === undefined ? {} : { resource: f.resource }),
              }
      return node.items.map((item, i) => parseValue(ctx, element, item as Node, join(path, i)))
    }
    case 'map': {
      if (!isMap(node)) return wrong('an object')
      const element: FieldSpec =
        f.fields !== undefined
          ? { name: '', type: 'object', fields: f.fields }
          : { name: '', type: f.items ?? 'any' }
      const out: Record<string, unknown> = {}
      for (const pair of node.items) {
        const key = String(scalarValue(pair.key as Node))
        out[key] = parseValue(ctx, element, pair.value as Node, join(path, key))
      }
      return out
    }
    case 'any':
      return node.toJSON()
  }
  return undefined
}

/** Parses an object's fields: unknown ones are problems with a suggestion, defaults filled in. */
function parseFields(
  ctx: ParseContext,
  fields: readonly FieldSpec[],
  node: YAMLMap | undefined,
  path: string,
  parent?: Node,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const known = new Set(fields.map((f) => f.name))
  for (const pair of node?.items ?? []) {
    const key = String(scalarValue(pair.key as Node))
    if (!known.has(key)) {
      problemAt(
        ctx,
        pair.key as Node,
        join(path, key),
        `field ${key} is not recognised${didYouMean(key, known)}`,
      )
    }
  }
  for (const f of fields) {
    const child = node?.get(f.name, true) as Node | undefined
    const present = node?.has(f.name) === true
    if (
      !present ||
      (isScalar(child) && child.value === null && f.type !== 'any' && !componentKinds.has(f.type))
    ) {
      if (f.default !== undefined) out[f.name] = structuredClone(f.default)
      else if (isRequired(f)) {
        problemAt(ctx, node ?? parent, join(path, f.name), `field ${f.name} is required`)
      }
      continue
    }
    if (f.deprecated === true && ctx.lintDeprecated === true)
      problemAt(ctx, child, join(path, f.name), `field ${f.name} is deprecated`)
    out[f.name] = parseValue(ctx, f, child!, join(path, f.name))
  }
  return out
}

const componentMetaKeys = (kind: ComponentKind): string[] =>
  kind === 'input' || kind === 'output' ? ['label', 'processors'] : ['label']

/** `{ kafka: {...}, label: x, processors: [...] }` → the named component with its config parsed by its spec. */
function parseComponent(
  ctx: ParseContext,
  kind: ComponentKind,
  node: Node,
  path: string,
): ParsedComponent | undefined {
  if (!isMap(node)) {
    problemAt(
      ctx,
      node,
      path,
      `expected a ${kind} (an object with one ${kind} type as its key), got ${describe(node)}`,
    )
    return undefined
  }
  const meta = componentMetaKeys(kind)
  const typeKeys = node.items.map((p) => String(scalarValue(p.key as Node))).filter((k) => !meta.includes(k))
  const available = pluginNames(ctx.env, kind)
  if (typeKeys.length !== 1) {
    problemAt(
      ctx,
      node,
      path,
      typeKeys.length === 0
        ? `no ${kind} type given; use one of: ${available.join(', ')}`
        : `a ${kind} has exactly one type, found ${typeKeys.join(', ')}`,
    )
    return undefined
  }
  const type = typeKeys[0]!
  const plugin = findPlugin(ctx.env, kind, type)
  const typePath = join(path, type)
  const valueNode = node.get(type, true) as Node | undefined
  if (plugin === undefined) {
    problemAt(
      ctx,
      node.items.find((p) => String(scalarValue(p.key as Node)) === type)?.key as Node,
      typePath,
      `unknown ${kind} type "${type}"${didYouMean(type, available)}`,
    )
    return undefined
  }
  const labelNode = node.get('label', true) as Node | undefined
  const label = labelNode === undefined ? '' : String(scalarValue(labelNode) ?? '')
  if (label !== '' && !/^[a-z0-9_]+$/.test(label)) {
    problemAt(
      ctx,
      labelNode,
      join(path, 'label'),
      `label "${label}" must be lower case letters, digits and underscores`,
    )
  }
  if (ctx.requireLabels === true && label === '' && type !== 'resource')
    problemAt(ctx, node, path, `label is required for ${type}`)
  if (ctx.lintDeprecated === true && plugin.spec.status === 'deprecated')
    problemAt(ctx, node, typePath, `component ${type} is deprecated`)
  let config: unknown
  const spec = plugin.spec
  if (spec.value !== undefined) {
    if (valueNode === undefined || (isScalar(valueNode) && valueNode.value === null)) {
      if (spec.value.default !== undefined) config = structuredClone(spec.value.default)
      else problemAt(ctx, node, typePath, `${type} needs a value`)
    } else config = parseValue(ctx, spec.value, valueNode, typePath)
  } else {
    const map =
      valueNode === undefined || (isScalar(valueNode) && valueNode.value === null) ? undefined : valueNode
    if (map !== undefined && !isMap(map)) {
      problemAt(ctx, map, typePath, `expected the ${type} config as an object, got ${describe(map)}`)
      return undefined
    }
    config = parseFields(ctx, spec.fields ?? [], map as YAMLMap | undefined, typePath, node)
  }
  const processorsNode = meta.includes('processors')
    ? (node.get('processors', true) as Node | undefined)
    : undefined
  const processors =
    processorsNode === undefined
      ? []
      : ((parseValue(
          ctx,
          { name: 'processors', type: 'array', items: 'processor' },
          processorsNode,
          join(path, 'processors'),
        ) ?? []) as (ParsedComponent | undefined)[])
  return {
    type,
    label,
    config,
    processors: processors.filter((p): p is ParsedComponent => p !== undefined),
    path: typePath,
  }
}

export interface ParseOptions {
  file?: string
  /** variables for `${VAR:default}`; default: process.env */
  vars?: Record<string, string | undefined>
  /** an unset variable without a default becomes "" instead of a problem (`lint --skip-env-var-check`) */
  skipEnvVarCheck?: boolean
  /** a component without a label is a problem (`lint --labels`) */
  requireLabels?: boolean
  /** a deprecated field or component is a problem (`lint --deprecated`) */
  lintDeprecated?: boolean
}

/**
 * Substitutes variables and reads the YAML with positions; `doc` is undefined when the YAML is
 * broken (the problems say where).
 */
function readDocument(
  text: string,
  env: Environment,
  options: ParseOptions,
): { doc: Document | undefined; ctx: ParseContext } {
  const substituted = substituteEnv(text, options.vars ?? process.env, options.file)
  const lines = new LineCounter()
  const doc = parseDocument(substituted.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const ctx: ParseContext = {
    env,
    file: options.file,
    lines,
    problems: options.skipEnvVarCheck === true ? [] : [...substituted.problems],
    requireLabels: options.requireLabels === true,
    lintDeprecated: options.lintDeprecated === true,
    references: [],
  }
  for (const error of doc.errors) {
    const { line, col } = lines.linePos(error.pos[0])
    ctx.problems.push({
      ...(options.file === undefined ? {} : { file: options.file }),
      line,
      column: col,
      path: '',
      message: `invalid YAML: ${error.message.split('\n')[0]}`,
    })
  }
  if (doc.errors.length > 0) return { doc: undefined, ctx }
  clipFinalBlockScalar(doc, substituted.text)
  return { doc, ctx }
}

const sortedProblems = (ctx: ParseContext): ConfigProblem[] =>
  ctx.problems.sort((a, b) => a.line - b.line || a.column - b.column)

/**
 * Parses a YAML config against the fields given (a stream config, or one component's). Every
 * problem found is collected; the result is only usable when `problems` is empty.
 */
export function parseConfig(
  text: string,
  fields: readonly FieldSpec[],
  env: Environment,
  options: ParseOptions = {},
): { config: Record<string, unknown>; problems: ConfigProblem[]; references: LocatedReference[] } {
  const { doc, ctx } = readDocument(text, env, options)
  if (doc === undefined) return { config: {}, problems: ctx.problems, references: [] }
  const root = doc.contents as Node | null
  if (root !== null && !isMap(root) && !(isScalar(root) && root.value === null)) {
    problemAt(ctx, root, '', `expected the config to be an object, got ${describe(root)}`)
    return { config: {}, problems: ctx.problems, references: [] }
  }
  const config = parseFields(ctx, fields, isMap(root) ? root : undefined, '')
  return { config, problems: sortedProblems(ctx), references: ctx.references }
}

/** Parses one component's config written as YAML (a resource posted to the streams API), with positions. */
export function parseComponentText(
  kind: ComponentKind,
  text: string,
  env: Environment,
  options: ParseOptions = {},
): { component: ParsedComponent | undefined; problems: ConfigProblem[] } {
  const { doc, ctx } = readDocument(text, env, options)
  if (doc === undefined) return { component: undefined, problems: ctx.problems }
  const component = parseComponent(ctx, kind, (doc.contents ?? doc.createNode({})) as Node, '')
  return { component, problems: sortedProblems(ctx) }
}

/** Parses a component config given as plain data (e.g. from a workflow module's config map). */
export function parseComponentValue(
  kind: ComponentKind,
  value: unknown,
  env: Environment,
  path: string,
): { component: ParsedComponent | undefined; problems: ConfigProblem[] } {
  const doc = parseDocument('{}')
  doc.contents = doc.createNode(value) as never
  const ctx: ParseContext = { env, file: undefined, lines: new LineCounter(), problems: [], references: [] }
  const component = parseComponent(ctx, kind, doc.contents as unknown as Node, path)
  return { component, problems: ctx.problems }
}
