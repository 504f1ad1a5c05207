// Function and method registries with Bento's parameter handling (named/positional arguments,
// defaults, type checks, dynamic arguments re-resolved per execution).

import { errFrom, plainErr, wrapErr } from './errors.ts'
import { type Ctx, closure, type Fn, literal } from './query.ts'
import { toTimestamp } from './time.ts'
import {
  bytesToString,
  getBool,
  getInt,
  getNumber,
  isObject,
  type Timestamp,
  typeOf,
  type Value,
} from './value.ts'

export type ParamType =
  | 'string'
  | 'int'
  | 'float'
  | 'number'
  | 'bool'
  | 'array'
  | 'object'
  | 'query'
  | 'unknown'
  | 'timestamp'

export interface ParamDef {
  name: string
  type: ParamType
  description?: string
  optional?: boolean
  /** Default value (a Bloblang value); implies optional. */
  default?: Value
  /** Reject query (dynamic) arguments. */
  noDynamic?: boolean
}

export interface ParamsSpec {
  params?: ParamDef[]
  /** Any number of positional arguments of any type. */
  variadic?: boolean
}

const TYPE_NAME: Record<ParamType, string> = {
  string: 'string',
  int: 'integer',
  float: 'float',
  number: 'number',
  bool: 'bool',
  array: 'array',
  object: 'object',
  query: 'query expression',
  unknown: 'unknown',
  timestamp: 'timestamp',
}

/** Parsed arguments handed to constructors. Values are resolved (never dynamic here). */
export class Args {
  readonly values: (Value | Fn | undefined)[]
  readonly names: Map<string, number>
  /** Directory the mapping's relative paths resolve against ('' = the working directory). */
  readonly importDir: string
  /** The environment the mapping is parsed with (for methods that parse mappings themselves). */
  readonly env: Environment | null
  constructor(
    values: (Value | Fn | undefined)[],
    names: Map<string, number>,
    importDir = '',
    env: Environment | null = null,
  ) {
    this.values = values
    this.names = names
    this.importDir = importDir
    this.env = env
  }
  private raw(name: string): Value | Fn | undefined {
    const i = this.names.get(name)
    if (i === undefined) throw plainErr(`parameter ${name} not found`)
    return this.values[i]
  }
  has(name: string): boolean {
    return this.raw(name) !== undefined
  }
  value(name: string): Value {
    const v = this.raw(name)
    return v === undefined ? null : (v as Value)
  }
  optValue(name: string): Value | undefined {
    return this.raw(name) as Value | undefined
  }
  string(name: string): string {
    return this.value(name) as string
  }
  optString(name: string): string | undefined {
    return this.raw(name) as string | undefined
  }
  int(name: string): number {
    const v = this.value(name)
    return typeof v === 'bigint' ? Number(v) : (v as number)
  }
  optInt(name: string): number | undefined {
    const v = this.raw(name)
    return v === undefined ? undefined : this.int(name)
  }
  bigint(name: string): number | bigint {
    return this.raw(name) as unknown as number | bigint
  }
  float(name: string): number {
    return this.value(name) as number
  }
  optFloat(name: string): number | undefined {
    return this.raw(name) as number | undefined
  }
  bool(name: string): boolean {
    return this.value(name) as boolean
  }
  optBool(name: string): boolean | undefined {
    return this.raw(name) as boolean | undefined
  }
  query(name: string): Fn {
    return this.raw(name) as Fn
  }
  optQuery(name: string): Fn | undefined {
    return this.raw(name) as Fn | undefined
  }
  timestamp(name: string): Timestamp {
    return this.raw(name) as unknown as Timestamp
  }
  /** Variadic arguments. */
  all(): Value[] {
    return this.values as Value[]
  }
}

export type FunctionCtor = (args: Args) => Fn
export type MethodCtor = (target: Fn, args: Args) => Fn

export interface FunctionSpec extends ParamsSpec {
  name: string
  ctor: FunctionCtor
  impure?: boolean
  description?: string
}

export interface MethodSpec extends ParamsSpec {
  name: string
  ctor: MethodCtor
  impure?: boolean
  description?: string
}

/** An argument as parsed: a query (literal or dynamic), maybe named. */
export interface ParsedArg {
  name: string | null
  fn: Fn
}

function isFn(v: unknown): v is Fn {
  return typeof v === 'object' && v !== null && 'exec' in v && 'kind' in v && 'ann' in v
}

function parseArgValue(def: ParamDef, v: Value): Value | Fn {
  switch (def.type) {
    case 'int': {
      const i = getInt(v)
      return typeof i === 'bigint' ? (i as unknown as Value) : i
    }
    case 'float':
    case 'number':
      return getNumber(v)
    case 'string':
      if (typeof v === 'string') return v
      if (v instanceof Uint8Array) return bytesToString(v)
      break
    case 'timestamp':
      return toTimestamp(v)
    case 'bool':
      return getBool(v)
    case 'array':
      if (Array.isArray(v)) return v
      break
    case 'object':
      if (isObject(v)) return v
      break
    case 'query':
      return v as unknown as Fn
    case 'unknown':
      return v
  }
  throw plainErr(`wrong argument type, expected ${TYPE_NAME[def.type]}, got ${typeOf(v)}`)
}

function wrapField(name: string, f: () => Value | Fn): Value | Fn {
  try {
    return f()
  } catch (e) {
    throw wrapErr(`field ${name}`, e)
  }
}

interface Populated {
  values: (Value | Fn | undefined)[]
  dynamic: number[]
}

/** Bento's PopulateNameless/PopulateNamed (+ gatherDynamicArgs). Throws parse-time errors. */
export function populateArgs(spec: ParamsSpec, parsed: ParsedArg[]): Populated {
  const named = new Map<string, Fn>()
  const nameless: Fn[] = []
  for (const a of parsed) {
    if (a.name !== null) {
      if (named.has(a.name)) throw plainErr(`duplicate named arg: ${a.name}`)
      named.set(a.name, a.fn)
    } else nameless.push(a.fn)
  }
  if (nameless.length > 0 && named.size > 0) throw plainErr('cannot mix named and nameless arguments')
  const defs = spec.params ?? []
  if (spec.variadic) {
    if (named.size > 0) throw plainErr('named arguments are not supported')
    const values: (Value | Fn)[] = nameless.map((f) => (f.kind === 'literal' ? (f.value as Value) : f))
    const dynamic = values.flatMap((v, i) => (isFn(v) ? [i] : []))
    return { values, dynamic }
  }
  const values: (Value | Fn | undefined)[] = new Array(defs.length).fill(undefined)
  const missing: string[] = []
  const resolve = (def: ParamDef, i: number, arg: Fn | undefined): void => {
    let v: Value | Fn
    if (arg !== undefined) v = arg
    else if (def.default !== undefined) v = def.default
    else if (def.optional) return
    else {
      missing.push(def.name)
      return
    }
    if (isFn(v) && v.kind === 'literal' && def.type !== 'query') v = v.value as Value
    if (!isFn(v) && def.type === 'query') v = literal(v)
    if (isFn(v)) {
      values[i] = v
      return
    }
    values[i] = wrapField(def.name, () => parseArgValue(def, v as Value))
  }
  if (named.size > 0) {
    defs.forEach((def, i) => {
      const arg = named.get(def.name)
      named.delete(def.name)
      resolve(def, i, arg)
    })
    if (named.size > 0) {
      const unexpected = [...named.keys()].sort()
      let opts = ''
      if (missing.length === 1) opts = `, did you mean ${missing[0]}?`
      else if (missing.length > 1) opts = `, expected ${missing.join(', ')}`
      if (unexpected.length === 1) throw plainErr(`unknown parameter ${unexpected[0]}${opts}`)
      throw plainErr(`unknown parameters ${unexpected.join(', ')}${opts}`)
    }
  } else {
    if (nameless.length > defs.length) {
      throw plainErr(`wrong number of arguments, expected ${defs.length}, got ${nameless.length}`)
    }
    defs.forEach((def, i) => {
      resolve(def, i, nameless[i])
    })
  }
  if (missing.length === 1) throw plainErr(`missing parameter: ${missing[0]}`)
  if (missing.length > 1) throw plainErr(`missing parameters: ${missing.join(', ')}`)
  const dynamic: number[] = []
  defs.forEach((def, i) => {
    if (def.type === 'query') return
    const v = values[i]
    if (isFn(v)) {
      if (def.noDynamic) throw plainErr(`param ${def.name} must not be dynamic`)
      dynamic.push(i)
    }
  })
  return { values, dynamic }
}

function resolveDynamic(spec: ParamsSpec, p: Populated, ctx: Ctx): (Value | Fn | undefined)[] {
  const out = p.values.slice()
  const defs = spec.params ?? []
  p.dynamic.forEach((idx, n) => {
    const def: ParamDef = defs[idx] ?? { name: String(n), type: 'unknown' }
    try {
      const v = (p.values[idx] as Fn).exec(ctx)
      out[idx] = parseArgValue(def, v)
    } catch (e) {
      throw wrapErr(`failed to extract input arg '${def.name}'`, e)
    }
  })
  return out
}

function nameIndex(spec: ParamsSpec): Map<string, number> {
  const m = new Map<string, number>()
  for (const [i, d] of (spec.params ?? []).entries()) m.set(d.name, i)
  return m
}

// ---------------------------------------------------------------------------------------------
// Environment

export class Environment {
  readonly functions: Map<string, FunctionSpec>
  readonly methods: Map<string, MethodSpec>
  /** Reads `import`/`from` files; null disables imports. */
  importer: ((path: string) => string) | null
  maxMapStacks = 5000

  constructor(
    functions?: Map<string, FunctionSpec>,
    methods?: Map<string, MethodSpec>,
    importer: ((path: string) => string) | null = null,
  ) {
    this.functions = new Map(functions)
    this.methods = new Map(methods)
    this.importer = importer
  }

  registerFunction(spec: FunctionSpec): this {
    checkName(spec.name)
    this.functions.set(spec.name, spec)
    return this
  }

  registerMethod(spec: MethodSpec): this {
    checkName(spec.name)
    this.methods.set(spec.name, spec)
    return this
  }

  /** A copy without the named functions. */
  withoutFunctions(...names: string[]): Environment {
    const env = this.clone()
    for (const n of names) env.functions.delete(n)
    return env
  }

  withoutMethods(...names: string[]): Environment {
    const env = this.clone()
    for (const n of names) env.methods.delete(n)
    return env
  }

  /** A copy with impure functions and methods removed. */
  onlyPure(): Environment {
    const env = this.clone()
    for (const [n, s] of env.functions) if (s.impure) env.functions.delete(n)
    for (const [n, s] of env.methods) if (s.impure) env.methods.delete(n)
    return env
  }

  clone(): Environment {
    const env = new Environment(this.functions, this.methods, this.importer)
    env.maxMapStacks = this.maxMapStacks
    return env
  }

  initFunction(name: string, parsed: ParsedArg[], importDir = ''): Fn {
    const spec = this.functions.get(name)
    if (spec === undefined) throw plainErr(`unrecognised function '${name}'`)
    const p = populateArgs(spec, parsed)
    const names = nameIndex(spec)
    if (p.dynamic.length === 0) return spec.ctor(new Args(p.values, names, importDir, this))
    return closure(`function ${name}`, (ctx) => {
      let vals: (Value | Fn | undefined)[]
      try {
        vals = resolveDynamic(spec, p, ctx)
      } catch (e) {
        throw wrapErr(`function '${name}'`, e)
      }
      return spec.ctor(new Args(vals, names, importDir, this)).exec(ctx)
    })
  }

  initMethod(name: string, target: Fn, parsed: ParsedArg[], importDir = ''): Fn {
    const spec = this.methods.get(name)
    if (spec === undefined) throw plainErr(`unrecognised method '${name}'`)
    const p = populateArgs(spec, parsed)
    const names = nameIndex(spec)
    if (p.dynamic.length === 0) return spec.ctor(target, new Args(p.values, names, importDir, this))
    return closure(`method ${name}`, (ctx) => {
      let vals: (Value | Fn | undefined)[]
      try {
        vals = resolveDynamic(spec, p, ctx)
      } catch (e) {
        throw wrapErr(`method '${name}'`, e)
      }
      return spec.ctor(target, new Args(vals, names, importDir, this)).exec(ctx)
    })
  }
}

const NAME_RE = /^[a-z0-9]+(_[a-z0-9]+)*$/

function checkName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new Error(`name '${name}' does not match the required regular expression /${NAME_RE.source}/`)
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers to define functions and methods

export type SimpleMethodImpl = (v: Value, ctx: Ctx) => Value

/** A method that transforms its target's value; errors are annotated with the target. */
export function simpleMethod(
  name: string,
  spec: ParamsSpec & { impure?: boolean; description?: string },
  make: (args: Args) => SimpleMethodImpl,
): MethodSpec {
  return {
    ...spec,
    name,
    ctor: (target, args) => {
      const fn = make(args)
      const te = target.exec
      const ann = target.ann
      return closure(`method ${name}`, (ctx) => {
        const v = te(ctx)
        try {
          return fn(v, ctx)
        } catch (e) {
          throw errFrom(e, ann)
        }
      })
    },
  }
}

/**
 * A method registered through Bento's public plugin API (RegisterMethodV2): like simpleMethod,
 * but errors come out as the method returned them, without the target's annotation.
 */
export function pluginMethod(
  name: string,
  spec: ParamsSpec & { impure?: boolean; description?: string },
  make: (args: Args) => SimpleMethodImpl,
): MethodSpec {
  return {
    ...spec,
    name,
    ctor: (target, args) => {
      const fn = make(args)
      const te = target.exec
      return closure(`method ${name}`, (ctx) => fn(te(ctx), ctx))
    },
  }
}

/** A function with no per-call setup. */
export function simpleFunction(
  name: string,
  spec: ParamsSpec & { impure?: boolean; description?: string },
  make: (args: Args) => (ctx: Ctx) => Value,
): FunctionSpec {
  return {
    ...spec,
    name,
    ctor: (args) => closure(`function ${name}`, make(args)),
  }
}
