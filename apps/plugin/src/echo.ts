// `echo`: the main config as it would run (variables resolved, --set applied) with the values of
// secret fields scrubbed, as Bento prints it.
import {
  type ComponentKind,
  ConfigError,
  type Environment,
  type FieldSpec,
  findPlugin,
  formatProblem,
  type ParsedComponent,
  streamFields,
  substituteEnv,
} from '@bento-ts/core'
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml'
import { prepareConfig } from './run.ts'
import type { RunFlags } from './run-flags.ts'

const scrubbed = '!!!SECRET_SCRUBBED!!!'
const kinds: ComponentKind[] = ['input', 'output', 'processor', 'cache', 'rate_limit', 'buffer']

const isComponent = (v: unknown): v is ParsedComponent =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as ParsedComponent).type === 'string' &&
  typeof (v as ParsedComponent).path === 'string' &&
  Array.isArray((v as ParsedComponent).processors)

/** Replaces the values of secret fields below a component's config node, in lists of objects too. */
function scrub(node: unknown, fields: readonly FieldSpec[]): void {
  if (!isMap(node)) return
  for (const f of fields) {
    if (!node.has(f.name)) continue
    if (f.secret === true) node.set(f.name, scrubbed)
    else if (f.fields !== undefined && f.type === 'object') scrub(node.get(f.name, true), f.fields)
    else if (f.fields !== undefined && f.type === 'array') {
      const list = node.get(f.name, true)
      if (isSeq(list)) for (const item of list.items) scrub(item, f.fields)
    }
  }
}

/** Every component in a parsed config, nested ones included. */
function components(value: unknown, out: ParsedComponent[] = []): ParsedComponent[] {
  if (Array.isArray(value)) for (const v of value) components(v, out)
  else if (value !== null && typeof value === 'object') {
    if (isComponent(value)) out.push(value)
    for (const v of Object.values(value)) components(v, out)
  }
  return out
}

export function echoConfig(path: string, flags: RunFlags, env: Environment): number {
  try {
    process.stdout.write(echoText(path, flags, env))
    return 0
  } catch (err) {
    process.stderr.write(
      `Configuration file read error: ${err instanceof ConfigError ? err.problems.map(formatProblem).join('\n') : (err as Error).message}\n`,
    )
    return 1
  }
}

/** The text `echo` prints; throws ConfigError. */
export function echoText(path: string, flags: RunFlags, env: Environment): string {
  {
    const { text, config } = prepareConfig(path, flags, env)
    const doc = parseDocument(substituteEnv(text, process.env).text)
    for (const component of components(config)) {
      const at = component.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s))
      for (const kind of kinds)
        scrub(doc.getIn(at, true), findPlugin(env, kind, component.type)?.spec.fields ?? [])
    }
    // Bento shows every top-level field, at its default where the file leaves it out.
    const root = isMap(doc.contents) ? doc.contents : (doc.createNode({}) as YAMLMap)
    const normalised = doc.createNode({}) as YAMLMap
    for (const f of streamFields) {
      if (root.has(f.name)) normalised.set(f.name, root.get(f.name, true))
      else if (f.default !== undefined) normalised.set(f.name, doc.createNode(f.default))
    }
    for (const pair of root.items) if (!normalised.has(pair.key)) normalised.items.push(pair)
    doc.contents = normalised as typeof doc.contents
    return doc.toString()
  }
}
