// General and coercion methods: apply, catch, or, from, from_all, map, not, get, exists, type,
// bool, bytes, number, string, not_null, not_empty, array.

import { errFrom, plainErr, toQueryError, typeError } from '../errors.ts'
import {
  type Ctx,
  closure,
  dotPathToSlice,
  type Fn,
  getFn,
  mapExpressionFn,
  notFn,
  searchPath,
  withValue,
} from '../query.ts'
import { type MethodSpec, simpleMethod } from '../registry.ts'
import {
  float64,
  isObject,
  NOTHING,
  toBool,
  toBytesValue,
  toNumber,
  toStringValue,
  typeOf,
  type Value,
} from '../value.ts'

function withIndex(ctx: Ctx, index: number): Ctx {
  return { ...ctx, index }
}

export const generalMethods: MethodSpec[] = [
  {
    name: 'apply',
    params: [{ name: 'mapping', type: 'string' }],
    ctor: (target, args) => {
      const name = args.string('mapping')
      return closure(`map ${name}`, (ctx) => {
        const v = target.exec(ctx)
        const inner = withValue(ctx, v)
        if (ctx.maps === null) throw plainErr('no maps were found')
        const m = ctx.maps.get(name)
        if (m === undefined) throw plainErr(`map ${name} was not found`)
        inner.vars = new Map()
        return m.exec(inner)
      })
    },
  },
  {
    name: 'catch',
    params: [{ name: 'fallback', type: 'query' }],
    ctor: (target, args) => {
      const fb = args.query('fallback')
      return closure('method catch', (ctx) => {
        try {
          return target.exec(ctx)
        } catch (e) {
          return fb.exec(withValue(ctx, toQueryError(e).message))
        }
      })
    },
  },
  {
    name: 'or',
    params: [{ name: 'fallback', type: 'query' }],
    ctor: (target, args) => {
      const fb = args.query('fallback')
      return closure('method or', (ctx) => {
        let v: Value
        try {
          v = target.exec(ctx)
        } catch {
          return fb.exec(ctx)
        }
        if (v === null || typeof v === 'symbol') return fb.exec(ctx)
        return v
      })
    },
  },
  {
    name: 'from',
    params: [{ name: 'index', type: 'int' }],
    ctor: (target, args) => {
      const index = args.int('index')
      return closure(`${target.ann} from ${index}`, (ctx) => target.exec(withIndex(ctx, index)))
    },
  },
  {
    name: 'from_all',
    ctor: (target) =>
      closure('method from_all', (ctx) => {
        const n = ctx.batch?.parts.length ?? 0
        const out: Value[] = []
        for (let i = 0; i < n; i++) out.push(target.exec(withIndex(ctx, i)))
        return out
      }),
  },
  {
    name: 'map',
    params: [{ name: 'query', type: 'query' }],
    ctor: (t, a) => mapExpressionFn(t, a.query('query')),
  },
  { name: 'not', ctor: (t) => notFn(t) },
  { name: 'get', params: [{ name: 'path', type: 'string' }], ctor: (t, a) => getFn(t, a.string('path')) },
  simpleMethod('exists', { params: [{ name: 'path', type: 'string' }] }, (args) => {
    const path = dotPathToSlice(args.string('path'))
    return (v) => searchPath(v, path) !== undefined
  }),
  simpleMethod('type', {}, () => (v) => typeOf(v)),
  simpleMethod('array', {}, () => (v) => (Array.isArray(v) ? v : [v])),
  simpleMethod('not_null', {}, () => (v) => {
    if (v === null) throw plainErr('value is null')
    return v
  }),
  simpleMethod('not_empty', {}, () => (v) => {
    if (typeof v === 'string') {
      if (v.length === 0) throw plainErr('string value is empty')
    } else if (v instanceof Uint8Array) {
      if (v.length === 0) throw plainErr('bytes value is empty')
    } else if (Array.isArray(v)) {
      if (v.length === 0) throw plainErr('array value is empty')
    } else if (isObject(v)) {
      if (Object.keys(v).length === 0) throw plainErr('object value is empty')
    } else throw typeError(v, ['string', 'array', 'object'])
    return v
  }),
  coerceWithDefault('bool', 'bool', (v) => toBool(v)),
  coerceWithDefault('number', 'float', (v) => float64(toNumber(v))),
  simpleMethod('string', {}, () => (v) => toStringValue(v)),
  simpleMethod('bytes', {}, () => (v) => toBytesValue(v)),
]

/** bool()/number(): an optional default replaces both target errors and coercion errors. */
function coerceWithDefault(name: string, type: 'bool' | 'float', conv: (v: Value) => Value): MethodSpec {
  return {
    name,
    params: [{ name: 'default', type, optional: true }],
    ctor: (target: Fn, args) => {
      const def = args.optValue('default')
      const fallback = def === undefined ? undefined : type === 'float' ? float64(def as number) : def
      return closure(`method ${name}`, (ctx) => {
        let v: Value
        try {
          v = target.exec(ctx)
        } catch (e) {
          if (fallback !== undefined) return fallback
          throw e
        }
        try {
          return conv(v)
        } catch (e) {
          if (fallback !== undefined) return fallback
          throw errFrom(e, target.ann)
        }
      })
    },
  }
}

export { NOTHING }
