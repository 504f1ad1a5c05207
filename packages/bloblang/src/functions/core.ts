// Built-in functions: general, message info and environment.

import { randomBytes, randomUUID } from 'node:crypto'
import { hostname as osHostname } from 'node:os'
import { plainErr, wrapErr } from '../errors.ts'
import {
  type Ctx,
  closure,
  currentPart,
  dotPathToSlice,
  literal,
  type MessagePart,
  searchPath,
} from '../query.ts'
import { type FunctionSpec, simpleFunction } from '../registry.ts'
import { timestampFromUnix } from '../time.ts'
import {
  bytesToString,
  DELETE,
  formatRFC3339Nano,
  getIntNumber,
  int64,
  metaToString,
  NOTHING,
  type Timestamp,
  type Value,
  type VObject,
} from '../value.ts'

/** Batch.Get: an index outside the batch gives an empty part (no content, no metadata). */
const EMPTY_PART: MessagePart = {
  bytes: () => new Uint8Array(0),
  structured: () => {
    throw plainErr('target message part does not exist')
  },
  metadata: new Map(),
}

function partAt(ctx: Ctx): MessagePart {
  const parts = ctx.batch?.parts
  if (parts === undefined) return EMPTY_PART
  let i = ctx.index
  if (i < 0) i += parts.length
  return parts[i] ?? EMPTY_PART
}

function nowTimestamp(): Timestamp {
  const ns = process.hrtime.bigint() - hrBase + epochBaseNs
  return timestampFromUnix(Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n))
}
const hrBase = process.hrtime.bigint()
const epochBaseNs = BigInt(Date.now()) * 1_000_000n

const counters = new Map<string, number>()

export const coreFunctions: FunctionSpec[] = [
  { name: 'deleted', ctor: () => literal(DELETE, 'delete') },
  { name: 'nothing', ctor: () => literal(NOTHING, 'nothing') },
  simpleFunction('throw', { params: [{ name: 'why', type: 'string' }] }, (args) => {
    const why = args.string('why')
    return () => {
      throw plainErr(why)
    }
  }),
  simpleFunction('content', {}, () => (ctx) => partAt(ctx).bytes()),
  simpleFunction('json', { params: [{ name: 'path', type: 'string', default: '' }] }, (args) => {
    const path = args.string('path')
    const segs = path === '' ? [] : dotPathToSlice(path)
    return (ctx) => {
      const v = partAt(ctx).structured()
      if (segs.length === 0) return v
      const r = searchPath(v, segs)
      return r === undefined ? null : r
    }
  }),
  simpleFunction('metadata', { params: [{ name: 'key', type: 'string', default: '' }] }, (args) => {
    const key = args.string('key')
    return (ctx) => {
      const meta = partAt(ctx).metadata
      if (key !== '') {
        const v = meta.get(key)
        return v === undefined ? null : v
      }
      const out: VObject = {}
      for (const [k, v] of meta) out[k] = v
      return out
    }
  }),
  simpleFunction('meta', { params: [{ name: 'key', type: 'string', default: '' }] }, (args) => {
    const key = args.string('key')
    return (ctx) => {
      const meta = partAt(ctx).metadata
      if (key !== '') {
        const v = meta.get(key)
        if (v === undefined) return null
        const s = metaToString(v)
        return s === '' ? null : s
      }
      const out: VObject = {}
      for (const [k, v] of meta) out[k] = metaToString(v)
      return out
    }
  }),
  simpleFunction('root_meta', { params: [{ name: 'key', type: 'string', default: '' }] }, (args) => {
    const key = args.string('key')
    return (ctx) => {
      if (ctx.meta === null) throw plainErr('metadata cannot be queried in this context')
      if (key !== '') {
        const v = ctx.meta.get(key)
        if (v === undefined) return null
        const s = metaToString(v)
        return s === '' ? null : s
      }
      const out: VObject = {}
      for (const [k, v] of ctx.meta) out[k] = metaToString(v)
      return out
    }
  }),
  simpleFunction('batch_index', {}, () => (ctx) => ctx.index),
  simpleFunction('batch_size', {}, () => (ctx) => ctx.batch?.parts.length ?? 0),
  simpleFunction('error', {}, () => (ctx) => currentPart(ctx)?.error ?? null),
  simpleFunction('errored', {}, () => (ctx) => {
    const e = currentPart(ctx)?.error
    return e !== null && e !== undefined
  }),
  simpleFunction('var', { params: [{ name: 'name', type: 'string' }] }, (args) => {
    const name = args.string('name')
    return (ctx) => {
      if (ctx.vars === null) throw plainErr('variables were undefined')
      const v = ctx.vars.get(name)
      if (v === undefined) throw plainErr(`variable '${name}' undefined`)
      return v
    }
  }),
  simpleFunction(
    'range',
    {
      params: [
        { name: 'start', type: 'int' },
        { name: 'stop', type: 'int' },
        { name: 'step', type: 'int', default: 1 },
      ],
    },
    (args) => {
      const start = args.int('start')
      const stop = args.int('stop')
      const step = args.int('step')
      if (step === 0) throw plainErr('step must be greater than or less than 0')
      if (step > 0 && start >= stop)
        throw plainErr(`with positive step arg start (${start}) must be < stop (${stop})`)
      if (step < 0 && stop > start)
        throw plainErr(`with negative step arg stop (${stop}) must be <= start (${start})`)
      // Go sizes the array as (stop-start)/step, truncated.
      const n = Math.trunc((stop - start) / step)
      return () => {
        const out: Value[] = new Array(n)
        for (let i = 0; i < n; i++) out[i] = start + step * i
        return out
      }
    },
  ),
  {
    name: 'count',
    params: [{ name: 'name', type: 'string' }],
    impure: true,
    ctor: (args) => {
      const name = args.string('name')
      return closure('function count', () => {
        const c = (counters.get(name) ?? 0) + 1
        counters.set(name, c)
        return c
      })
    },
  },
  simpleFunction(
    'env',
    {
      params: [
        { name: 'name', type: 'string' },
        { name: 'no_cache', type: 'bool', default: false },
      ],
      impure: true,
    },
    (args) => {
      const name = args.string('name')
      const noCache = args.bool('no_cache')
      const cached = process.env[name]
      return () => {
        const v = noCache ? process.env[name] : cached
        return v === undefined ? null : v
      }
    },
  ),
  simpleFunction('hostname', { impure: true }, () => {
    const h = osHostname()
    return () => h
  }),
  simpleFunction('now', {}, () => () => formatRFC3339Nano(nowTimestamp())),
  simpleFunction('timestamp_unix', {}, () => () => Math.floor(Date.now() / 1000)),
  simpleFunction('timestamp_unix_milli', {}, () => () => Date.now()),
  simpleFunction('timestamp_unix_micro', {}, () => () => {
    const t = nowTimestamp()
    return int64(BigInt(t.sec) * 1_000_000n + BigInt(Math.floor(t.nsec / 1000)))
  }),
  simpleFunction('timestamp_unix_nano', {}, () => () => {
    const t = nowTimestamp()
    return int64(BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec))
  }),
  simpleFunction('uuid_v4', {}, () => () => randomUUID()),
  simpleFunction(
    'nanoid',
    {
      params: [
        { name: 'length', type: 'int', optional: true },
        { name: 'alphabet', type: 'string', optional: true },
      ],
    },
    (args) => {
      const length = args.optInt('length') ?? 21
      const alphabet =
        args.optString('alphabet') ?? '_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
      const chars = Array.from(alphabet)
      return () => {
        const bytes = randomBytes(length * 2)
        let out = ''
        for (let i = 0; i < length; i++)
          out += chars[((bytes[i * 2] as number) * 256 + (bytes[i * 2 + 1] as number)) % chars.length]
        return out
      }
    },
  ),
  simpleFunction('ksuid', {}, () => () => ksuid()),
  simpleFunction(
    'random_int',
    {
      params: [
        { name: 'seed', type: 'unknown', default: 0 },
        { name: 'min', type: 'int', default: 0 },
        { name: 'max', type: 'int', default: int64(9223372036854775806n) },
      ],
    },
    (args) => {
      const min = args.int('min')
      const max = args.int('max')
      if (min > max) throw plainErr(`min (${min}) must be smaller or equal than max (${max})`)
      return () => {
        const span = BigInt(max) - BigInt(min) + 1n
        const r = BigInt(`0x${randomBytes(8).toString('hex')}`) % span
        return int64(BigInt(min) + r)
      }
    },
  ),
  simpleFunction(
    'counter',
    {
      params: [
        { name: 'min', type: 'query', default: 1 },
        { name: 'max', type: 'query', default: int64(9223372036854775807n) },
        { name: 'set', type: 'query', optional: true },
      ],
    },
    (args) => {
      const minFn = args.query('min')
      const maxFn = args.query('max')
      const setFn = args.optQuery('set')
      // Bento resolves min/max once; the counter holds the last yielded value (min-1 at first).
      let minimum = 0
      let maximum = 0
      let i: number | null = null
      return (ctx) => {
        if (i === null) {
          try {
            minimum = getIntNumber(minFn.exec(ctx))
          } catch (e) {
            throw wrapErr('failed to resolve min argument', e)
          }
          if (minimum < 0) throw plainErr(`min argument must be >0, got ${minimum}`)
          try {
            maximum = getIntNumber(maxFn.exec(ctx))
          } catch (e) {
            throw wrapErr('failed to resolve max argument', e)
          }
          if (maximum < 0 || maximum <= minimum)
            throw plainErr(`max argument must be >0 and >min, got ${maximum}`)
          i = minimum - 1
        }
        if (setFn !== undefined) {
          let s: Value
          try {
            s = setFn.exec(ctx)
          } catch (e) {
            throw wrapErr('failed to resolve set argument', e)
          }
          if (s === null) return i
          if (s === DELETE) i = minimum - 1
          else if (s !== NOTHING) {
            try {
              i = getIntNumber(s)
            } catch (e) {
              throw wrapErr('failed to resolve set argument', e)
            }
            return i
          }
        }
        const v = i + 1
        i = v >= maximum ? minimum - 1 : v
        return v
      }
    },
  ),
  simpleFunction('pi', {}, () => () => Math.PI),
]

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function ksuid(): string {
  const ts = Math.floor(Date.now() / 1000) - 1400000000
  const buf = Buffer.concat([
    Buffer.from([(ts >>> 24) & 255, (ts >>> 16) & 255, (ts >>> 8) & 255, ts & 255]),
    randomBytes(16),
  ])
  let n = BigInt(`0x${buf.toString('hex')}`)
  let out = ''
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out
    n /= 62n
  }
  return out.padStart(27, '0')
}

export { bytesToString, timestampFromUnix }
