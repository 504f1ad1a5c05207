// Object and array methods.

import { errFrom, plainErr, toQueryError, typeError, wrapErr } from '../errors.ts'
import { type Ctx, closure, dotPathToSlice, type Fn, searchPath, withValue } from '../query.ts'
import { type MethodSpec, pluginMethod, simpleMethod } from '../registry.ts'
import {
  clone,
  compareValues,
  DELETE,
  float64,
  getKey,
  getNumber,
  getString,
  isObject,
  NOTHING,
  Num,
  sanitize,
  setKey,
  sortedKeys,
  toStringValue,
  type Value,
  type VObject,
} from '../value.ts'

function arrayOrThrow(v: Value): Value[] {
  if (!Array.isArray(v)) throw typeError(v, ['array'])
  return v
}

function testEach(name: string, all: boolean): MethodSpec {
  return simpleMethod(name, { params: [{ name: 'test', type: 'query' }] }, (a) => {
    const q = a.query('test')
    return (v, ctx) => {
      const arr = arrayOrThrow(v)
      if (arr.length === 0) return false
      for (let i = 0; i < arr.length; i++) {
        let r: Value
        try {
          r = q.exec(withValue(ctx, arr[i] as Value))
        } catch (e) {
          throw wrapErr(`element ${i}`, e)
        }
        if (typeof r !== 'boolean') throw wrapErr(`element ${i}`, typeError(r, ['bool']))
        if (all && !r) return false
        if (!all && r) return true
      }
      return all
    }
  })
}

/** Flatten nested objects/arrays into dot paths (collapse). */
function collapse(v: Value, includeEmpty: boolean, prefix: string, out: VObject): void {
  if (isObject(v)) {
    const keys = Object.keys(v)
    if (keys.length === 0) {
      if (includeEmpty && prefix !== '') setKey(out, prefix, {})
      return
    }
    for (const k of keys) {
      const key = k.replaceAll('~', '~0').replaceAll('.', '~1')
      collapse(v[k] as Value, includeEmpty, prefix === '' ? key : `${prefix}.${key}`, out)
    }
    return
  }
  if (Array.isArray(v)) {
    if (v.length === 0) {
      if (includeEmpty && prefix !== '') setKey(out, prefix, [])
      return
    }
    v.forEach((el, i) => {
      collapse(el, includeEmpty, prefix === '' ? String(i) : `${prefix}.${i}`, out)
    })
    return
  }
  setKey(out, prefix, v)
}

/** gabs Merge semantics used by `merge`: colliding values become arrays. */
function mergeInto(dst: VObject, src: VObject): void {
  for (const k of Object.keys(src)) {
    const sv = src[k] as Value
    if (!Object.hasOwn(dst, k)) {
      setKey(dst, k, sv)
      continue
    }
    const dv = dst[k] as Value
    if (isObject(sv) && isObject(dv)) {
      mergeInto(dv, sv)
      continue
    }
    const da = Array.isArray(dv)
    const sa = Array.isArray(sv)
    if (da && sa) setKey(dst, k, [...(dv as Value[]), ...(sv as Value[])])
    else if (da) setKey(dst, k, [...(dv as Value[]), sv])
    else if (sa) setKey(dst, k, [dv, ...(sv as Value[])])
    else setKey(dst, k, [dv, sv])
  }
}

function lessThan(values: Value[], i: number, j: number): boolean {
  const l = values[i] as Value
  const s = sanitize(l)
  if (typeof s === 'number' || s instanceof Num) {
    let a: number
    let b: number
    try {
      a = getNumber(l)
    } catch (e) {
      throw wrapErr(`sort element ${i}`, e)
    }
    try {
      b = getNumber(values[j])
    } catch (e) {
      throw wrapErr(`sort element ${j}`, e)
    }
    return a < b
  }
  if (typeof l === 'string' || l instanceof Uint8Array) {
    const a = getString(l)
    let b: string
    try {
      b = getString(values[j])
    } catch (e) {
      throw wrapErr(`sort element ${j}`, e)
    }
    return a < b
  }
  throw wrapErr(`sort element ${i}`, typeError(l, ['number', 'string']))
}

/**
 * Sort like Go's sort.Slice: for up to 12 elements that is an insertion sort, so `less` sees the
 * same (i, j) pairs in the same order and errors name the same element indexes as Bento. Longer
 * arrays use a stable JS sort (same result for valid input).
 */
function sortWith(arr: Value[], less: (values: Value[], i: number, j: number) => boolean): Value[] {
  const values = arr.slice()
  if (values.length <= 12) {
    for (let i = 1; i < values.length; i++) {
      for (let j = i; j > 0 && less(values, j, j - 1); j--) {
        const t = values[j] as Value
        values[j] = values[j - 1] as Value
        values[j - 1] = t
      }
    }
    return values
  }
  const idx = arr.map((_, i) => i)
  idx.sort((x, y) => (less(arr, x, y) ? -1 : less(arr, y, x) ? 1 : 0))
  return idx.map((i) => arr[i] as Value)
}

function findIndex(name: string, byQuery: boolean, all: boolean): MethodSpec {
  return simpleMethod(
    name,
    { params: [byQuery ? { name: 'query', type: 'query' } : { name: 'value', type: 'unknown' }] },
    (a) => {
      const q = byQuery ? a.query('query') : null
      const target = byQuery ? null : a.value('value')
      return (v, ctx) => {
        const arr = arrayOrThrow(v)
        const out: Value[] = []
        for (let i = 0; i < arr.length; i++) {
          let hit: boolean
          if (q !== null) {
            let r: Value
            try {
              r = q.exec(withValue(ctx, arr[i] as Value))
            } catch (e) {
              throw wrapErr(`query returned an error for index ${i}`, e)
            }
            if (typeof r !== 'boolean') {
              throw wrapErr(`query returned a non-boolean value for index ${i}`, typeError(r, ['bool']))
            }
            hit = r
          } else hit = compareValues(arr[i], target)
          if (hit) {
            if (!all) return i
            out.push(i)
          }
        }
        return all ? out : -1
      }
    },
  )
}

function mapEachExec(q: Fn, v: Value, ctx: Ctx): Value {
  if (Array.isArray(v)) {
    const out: Value[] = []
    for (let i = 0; i < v.length; i++) {
      const el = v[i] as Value
      let r: Value
      try {
        r = q.exec(withValue(ctx, el))
      } catch (e) {
        throw wrapErr(`failed to process element ${i}`, errFrom(e, q.ann))
      }
      if (r === DELETE) continue
      out.push(r === NOTHING ? el : r)
    }
    return out
  }
  if (isObject(v)) {
    const out: VObject = {}
    for (const k of Object.keys(v)) {
      const el = v[k] as Value
      let r: Value
      try {
        r = q.exec(withValue(ctx, { key: k, value: el }))
      } catch (e) {
        throw wrapErr(`failed to process element ${k}`, errFrom(e, q.ann))
      }
      if (r === DELETE) continue
      setKey(out, k, r === NOTHING ? el : r)
    }
    return out
  }
  throw typeError(v, ['array'])
}

export const structuredMethods: MethodSpec[] = [
  testEach('all', true),
  testEach('any', false),
  simpleMethod('append', { variadic: true }, (a) => {
    const extra = a.all()
    return (v) => [...arrayOrThrow(v), ...extra.map(clone)]
  }),
  pluginMethod('concat', { variadic: true }, (a) => {
    const extra = a.all()
    // Bento checks the arguments when the method is constructed (per call when dynamic).
    for (const e of extra) if (!Array.isArray(e)) throw typeError(e, ['array'])
    return (v) => {
      const out = [...arrayOrThrow(v)]
      for (const e of extra) out.push(...(e as Value[]))
      return out
    }
  }),
  simpleMethod('collapse', { params: [{ name: 'include_empty', type: 'bool', default: false }] }, (a) => {
    const inc = a.bool('include_empty')
    return (v) => {
      const out: VObject = {}
      collapse(v, inc, '', out)
      return out
    }
  }),
  simpleMethod('enumerated', {}, () => (v) => arrayOrThrow(v).map((value, index) => ({ index, value }))),
  simpleMethod('explode', { params: [{ name: 'path', type: 'string' }] }, (a) => {
    const raw = a.string('path')
    const path = dotPathToSlice(raw)
    return (v) => {
      const target = searchPath(v, path)
      const withAt = (el: Value): Value => {
        const c = clone(v)
        setAtPath(c, path, el)
        return c
      }
      if (Array.isArray(target)) return target.map(withAt)
      if (isObject(target)) {
        const out: VObject = {}
        for (const k of Object.keys(target)) setKey(out, k, withAt(target[k] as Value))
        return out
      }
      throw plainErr(
        `expected array or object value at path '${raw}', found: ${target === undefined ? 'null' : typeErrorName(target)}`,
      )
    }
  }),
  simpleMethod('filter', { params: [{ name: 'test', type: 'query' }] }, (a) => {
    const q = a.query('test')
    return (v, ctx) => {
      if (Array.isArray(v)) {
        return v.filter((el) => q.exec(withValue(ctx, el)) === true)
      }
      if (isObject(v)) {
        const out: VObject = {}
        for (const k of Object.keys(v)) {
          if (q.exec(withValue(ctx, { key: k, value: v[k] as Value })) === true) setKey(out, k, v[k] as Value)
        }
        return out
      }
      throw typeError(v, ['array', 'object'])
    }
  }),
  findIndex('find', false, false),
  findIndex('find_all', false, true),
  findIndex('find_by', true, false),
  findIndex('find_all_by', true, true),
  simpleMethod('flatten', {}, () => (v) => {
    const out: Value[] = []
    for (const el of arrayOrThrow(v)) {
      if (Array.isArray(el)) out.push(...el)
      else out.push(el)
    }
    return out
  }),
  simpleMethod(
    'fold',
    {
      params: [
        { name: 'initial', type: 'unknown' },
        { name: 'query', type: 'query' },
      ],
    },
    (a) => {
      const init = a.value('initial')
      const q = a.query('query')
      return (v, ctx) => {
        let tally = init
        for (const el of arrayOrThrow(v)) {
          tally = q.exec(withValue(ctx, { tally, value: el }))
        }
        return tally
      }
    },
  ),
  simpleMethod('index', { params: [{ name: 'index', type: 'int' }] }, (a) => {
    const idx = a.int('index')
    return (v) => {
      if (!Array.isArray(v) && !(v instanceof Uint8Array)) throw typeError(v, ['array'])
      let i = idx
      if (i < 0) i = v.length + i
      if (i < 0 || i >= v.length) throw plainErr(`index '${i}' was out of bounds for array size: ${v.length}`)
      return v[i] as Value
    }
  }),
  simpleMethod('join', { params: [{ name: 'delimiter', type: 'string', optional: true }] }, (a) => {
    const d = a.optString('delimiter') ?? ''
    return (v) => {
      const arr = arrayOrThrow(v)
      return arr
        .map((el, i) => {
          if (typeof el === 'string') return el
          if (el instanceof Uint8Array) return getString(el)
          throw wrapErr(`failed to join element ${i}`, typeError(el, ['string']))
        })
        .join(d)
    }
  }),
  simpleMethod('keys', {}, () => (v) => {
    if (!isObject(v)) throw typeError(v, ['object'])
    return sortedKeys(v)
  }),
  simpleMethod('values', {}, () => (v) => {
    if (!isObject(v)) throw typeError(v, ['object'])
    return sortedKeys(v).map((k) => v[k] as Value)
  }),
  simpleMethod('key_values', {}, () => (v) => {
    if (!isObject(v)) throw typeError(v, ['object'])
    return sortedKeys(v).map((key) => ({ key, value: v[key] as Value }))
  }),
  simpleMethod('map_each', { params: [{ name: 'query', type: 'query' }] }, (a) => {
    const q = a.query('query')
    return (v, ctx) => mapEachExec(q, v, ctx)
  }),
  simpleMethod('map_each_key', { params: [{ name: 'query', type: 'query' }] }, (a) => {
    const q = a.query('query')
    return (v, ctx) => {
      if (!isObject(v)) throw typeError(v, ['object'])
      const out: VObject = {}
      for (const k of Object.keys(v)) {
        const nk = q.exec(withValue(ctx, k))
        if (nk === NOTHING) {
          setKey(out, k, v[k] as Value)
          continue
        }
        if (typeof nk !== 'string') {
          throw wrapErr('unexpected result from key mapping', typeError(nk, ['string']))
        }
        setKey(out, nk, v[k] as Value)
      }
      return out
    }
  }),
  simpleMethod('merge', { params: [{ name: 'with', type: 'unknown' }] }, (a) => {
    const w = a.value('with')
    return (v) => {
      if (isObject(v) && isObject(w)) {
        const out = clone(v) as VObject
        mergeInto(out, clone(w) as VObject)
        return out
      }
      if (Array.isArray(v)) return [...v, ...(Array.isArray(w) ? (clone(w) as Value[]) : [clone(w)])] as Value
      if (!isObject(v)) throw typeError(v, ['object', 'array'])
      // gabs merges only an object source; anything else leaves the target as it is.
      return clone(v)
    }
  }),
  simpleMethod('assign', { params: [{ name: 'with', type: 'unknown' }] }, (a) => {
    const w = a.value('with')
    const assignInto = (dst: VObject, src: VObject): void => {
      for (const k of Object.keys(src)) {
        const sv = src[k] as Value
        const dv = getKey(dst, k)
        if (isObject(sv) && isObject(dv)) assignInto(dv, sv)
        else setKey(dst, k, sv)
      }
    }
    return (v) => {
      if (isObject(v) && isObject(w)) {
        const out = clone(v) as VObject
        assignInto(out, clone(w) as VObject)
        return out
      }
      if (Array.isArray(v)) return [...v, ...(Array.isArray(w) ? w : [w])] as Value
      return w
    }
  }),
  {
    name: 'sort',
    params: [{ name: 'compare', type: 'query', optional: true }],
    ctor: (target, a) => {
      const q = a.optQuery('compare')
      return closure('method sort', (ctx) => {
        const v = target.exec(ctx)
        if (!Array.isArray(v)) throw typeError(v, ['array'], target.ann)
        if (q === undefined) return sortWith(v, lessThan)
        return sortWith(v, (values, i, j) => {
          const r = q.exec(withValue(ctx, { left: values[i] as Value, right: values[j] as Value }))
          if (typeof r !== 'boolean') throw typeError(r, ['bool'], 'sort argument')
          return r
        })
      })
    },
  },
  {
    name: 'sort_by',
    params: [{ name: 'query', type: 'query' }],
    ctor: (target, a) => {
      const q = a.query('query')
      return closure('method sort_by', (ctx) => {
        const v = target.exec(ctx)
        if (!Array.isArray(v)) throw typeError(v, ['array'], target.ann)
        // Keys are computed on first use, in Go's comparison order; query errors pass through.
        const keys = new Map<Value, Value>()
        const keyOf = (el: Value): Value => {
          if (keys.has(el)) return keys.get(el) as Value
          const k = q.exec(withValue(ctx, el))
          if (typeof el === 'object' && el !== null) keys.set(el, k)
          return k
        }
        return sortWith(v, (values, i, j) => {
          const pair: Value[] = [keyOf(values[i] as Value), keyOf(values[j] as Value)]
          try {
            return lessThan(pair, 0, 1)
          } catch (e) {
            const qe = toQueryError(e)
            const at = qe.message.startsWith('sort element 1') ? j : i
            throw wrapErr(`sort_by element ${at}`, errFrom(qe.cause ?? qe, q.ann))
          }
        })
      })
    },
  },
  {
    name: 'sum',
    ctor: (target) =>
      closure('method sum', (ctx) => {
        const v = target.exec(ctx)
        const s = sanitize(v)
        if (typeof s === 'number' || s instanceof Num) return v
        if (Array.isArray(s)) {
          let total = 0
          let err: unknown = null
          s.forEach((el, i) => {
            try {
              total += getNumber(el)
            } catch (e) {
              err = wrapErr(`index ${i}`, e)
            }
          })
          if (err !== null) throw err
          return float64(total)
        }
        throw typeError(v, ['array'], target.ann)
      }),
  },
  simpleMethod('unique', { params: [{ name: 'emit', type: 'query', optional: true }] }, (a) => {
    const emit = a.optQuery('emit')
    return (v, ctx) => {
      const arr = arrayOrThrow(v)
      const strs = new Set<string>()
      const nums = new Set<number>()
      const out: Value[] = []
      arr.forEach((el, i) => {
        let check: Value = el
        if (emit !== undefined) {
          try {
            check = emit.exec(withValue(ctx, el))
          } catch (e) {
            throw wrapErr(`index ${i}`, e)
          }
        }
        const s = sanitize(check)
        let unique: boolean
        if (typeof s === 'string' || s instanceof Uint8Array) {
          const k = getString(s)
          unique = !strs.has(k)
          strs.add(k)
        } else if (typeof s === 'number' || s instanceof Num) {
          const n = getNumber(s)
          unique = !nums.has(n)
          nums.add(n)
        } else throw wrapErr(`index ${i}`, typeError(check, ['string', 'number']))
        if (unique) out.push(el)
      })
      return out
    }
  }),
  simpleMethod('without', { variadic: true }, (a) => {
    const paths = a.all().map((p) => dotPathToSlice(toStringValue(p)))
    return (v) => {
      if (!isObject(v)) throw typeError(v, ['object'])
      const out = clone(v) as VObject
      for (const p of paths) deletePath(out, p)
      return out
    }
  }),
  simpleMethod('with', { variadic: true }, (a) => {
    const paths = a.all().map((p) => dotPathToSlice(toStringValue(p)))
    return (v) => {
      if (!isObject(v)) throw typeError(v, ['object'])
      const out: VObject = {}
      for (const p of paths) {
        const found = searchPath(v, p)
        if (found !== undefined) setAtPath(out, p, clone(found))
      }
      return out
    }
  }),
  simpleMethod('squash', {}, () => (v) => {
    const out: VObject = {}
    for (const el of arrayOrThrow(v)) {
      if (isObject(el)) mergeInto(out, clone(el) as VObject)
    }
    return out
  }),
  simpleMethod(
    'set',
    {
      params: [
        { name: 'path', type: 'string' },
        { name: 'value', type: 'unknown' },
      ],
    },
    (a) => {
      const path = dotPathToSlice(a.string('path'))
      const val = a.value('value')
      return (v) => {
        const out = clone(v)
        if (val === DELETE) {
          if (isObject(out)) deletePath(out, path)
          return out
        }
        if (!isObject(out)) throw typeError(v, ['object'])
        setAtPath(out, path, clone(val))
        return out
      }
    },
  ),
]

function typeErrorName(v: Value): string {
  return typeError(v, []).actual
}

function setAtPath(root: Value, path: string[], v: Value): void {
  let cur = root
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string
    const last = i === path.length - 1
    if (Array.isArray(cur)) {
      const idx = Number(seg)
      if (!Number.isInteger(idx) || idx < 0 || idx >= cur.length) return
      if (last) cur[idx] = v
      else cur = cur[idx] as Value
    } else if (isObject(cur)) {
      if (last) setKey(cur, seg, v)
      else {
        let next = getKey(cur, seg)
        if (next === undefined || next === null) {
          next = {}
          setKey(cur, seg, next)
        }
        cur = next
      }
    } else return
  }
}

function deletePath(root: VObject, path: string[]): void {
  const parent = path.length > 1 ? searchPath(root, path.slice(0, -1)) : root
  const last = path[path.length - 1] as string
  if (isObject(parent)) delete parent[last]
  else if (Array.isArray(parent)) {
    const i = Number(last)
    if (Number.isInteger(i) && i >= 0 && i < parent.length) parent.splice(i, 1)
  }
}
