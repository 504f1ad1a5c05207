// Number manipulation methods.

import { plainErr, typeError, wrapErr } from '../errors.ts'
import { type MethodSpec, pluginMethod, simpleMethod } from '../registry.ts'
import {
  float32,
  float64,
  getNumber,
  int64,
  isNumber,
  Num,
  sanitize,
  sizedInt,
  toInt,
  toNumber,
  toUint,
  uint64,
  type Value,
} from '../value.ts'

const TWO63 = 2 ** 63

type NumParts = { f: number | null; i: number | bigint | null; u: bigint | null }

/** numberMethod: split a (sanitised) number into float / int / uint. */
function numberParts(v: Value): NumParts {
  const s = sanitize(v)
  if (typeof s === 'number')
    return Number.isInteger(s) ? { f: null, i: s, u: null } : { f: s, i: null, u: null }
  if (s instanceof Num) {
    if (s.kind === 'float') return { f: s.f, i: null, u: null }
    if (s.kind === 'uint') return { f: null, i: null, u: s.big }
    return { f: null, i: s.big, u: null }
  }
  throw typeError(v, ['number'])
}

function intOrFloat(f: number): Value {
  if (Number.isFinite(f) && f < TWO63 && f >= -TWO63) {
    return Number.isSafeInteger(f) ? f : int64(BigInt(f))
  }
  return float64(f)
}

function rounding(name: string, op: (f: number) => number): MethodSpec {
  return simpleMethod(name, {}, () => (v) => {
    const p = numberParts(v)
    if (p.f !== null) return intOrFloat(op(p.f))
    if (p.i !== null) return typeof p.i === 'bigint' ? int64(p.i) : p.i
    return uint64(p.u as bigint)
  })
}

function minMax(name: string, better: (a: number, b: number) => boolean): MethodSpec {
  return simpleMethod(name, {}, () => (v) => {
    if (!Array.isArray(v)) throw typeError(v, ['array'])
    if (v.length === 0) throw plainErr('the array was empty')
    let best = 0
    v.forEach((n, i) => {
      let f: number
      try {
        f = getNumber(n)
      } catch (e) {
        throw wrapErr(`index ${i} of array`, e)
      }
      if (i === 0 || better(f, best)) best = f
    })
    return float64(best)
  })
}

const INT_LIMITS: Record<string, [bigint, bigint, string]> = {
  int8: [-128n, 127n, 'an 8-bit signed integer'],
  int16: [-32768n, 32767n, 'a 16-bit signed integer'],
  int32: [-2147483648n, 2147483647n, 'a 32-bit signed integer'],
  uint8: [0n, 255n, 'an 8-bit unsigned integer'],
  uint16: [0n, 65535n, 'a 16-bit unsigned integer'],
  uint32: [0n, 4294967295n, 'a 32-bit unsigned integer'],
}

function intCast(name: string): MethodSpec {
  return pluginMethod(name, {}, () => (v) => {
    if (name === 'int64') {
      const i = toInt(v)
      return typeof i === 'bigint' ? int64(i) : i
    }
    if (name === 'uint64') return uint64(toUint(v))
    const [lo, hi, desc] = INT_LIMITS[name] as [bigint, bigint, string]
    const b = name.startsWith('u') ? toUint(v) : BigInt(toInt(v))
    if (b > hi) throw plainErr(`value is too large to be cast as ${desc}`)
    if (b < lo) throw plainErr(`value is too small to be cast as ${desc}`)
    return sizedInt(b, name)
  })
}

export const numberMethods: MethodSpec[] = [
  rounding('ceil', Math.ceil),
  rounding('floor', Math.floor),
  rounding('round', (f) => (f < 0 ? -Math.floor(-f + 0.5) : Math.floor(f + 0.5))),
  pluginMethod('abs', {}, () => (v) => {
    if (!isNumber(v)) throw typeError(v, ['number', 'integer'])
    const p = numberParts(v)
    if (p.f !== null) return float64(Math.abs(p.f))
    if (p.i !== null) {
      if (typeof p.i === 'number') return Math.abs(p.i)
      if (p.i === -9223372036854775808n) return int64(9223372036854775807n)
      return int64(p.i < 0n ? -p.i : p.i)
    }
    throw typeError(v, ['number', 'integer'])
  }),
  minMax('max', (a, b) => a > b),
  minMax('min', (a, b) => a < b),
  ...['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'].map(intCast),
  pluginMethod('float64', {}, () => (v) => float64(toNumber(v))),
  pluginMethod('float32', {}, () => (v) => float32(toNumber(v))),
  simpleMethod('log', {}, () => (v) => float64(Math.log(getNumber(v)))),
  simpleMethod('log10', {}, () => (v) => float64(Math.log10(getNumber(v)))),
  pluginMethod('pow', { params: [{ name: 'exponent', type: 'float' }] }, (a) => {
    const e = a.float('exponent')
    return (v) => float64(getNumber(v) ** e)
  }),
  pluginMethod('sin', {}, () => (v) => float64(Math.sin(getNumber(v)))),
  pluginMethod('cos', {}, () => (v) => float64(Math.cos(getNumber(v)))),
  pluginMethod('tan', {}, () => (v) => float64(Math.tan(getNumber(v)))),
]
