// Timestamp methods (Bento's internal/impl/pure/bloblang_time.go). These are "V2 plugin"
// methods in Bento: errors are not annotated with the target, and with a literal target and
// static arguments they are evaluated once at parse time (errors become parse errors).

import { plainErr, wrapErr } from '../errors.ts'
import { closure, type Fn, literal } from '../query.ts'
import type { Args, MethodSpec, ParamDef } from '../registry.ts'
import {
  inLocation,
  type Location,
  loadLocation,
  parseDuration,
  roundTimestamp,
  subTimestamps,
  unixMicro,
  unixMilli,
  unixNano,
  unixSeconds,
} from '../time/core.ts'
import {
  type CompiledLayout,
  compileLayout,
  formatLayout,
  parseLayout,
  RFC3339_NANO,
} from '../time/layout.ts'
import {
  addPeriod,
  negatePeriod,
  type Period,
  PeriodError,
  parsePeriod,
  periodDuration,
} from '../time/period.ts'
import { type CompiledStrftime, compileStrftime, formatStrftime, parseStrftime } from '../time/strftime.ts'
import { toTimestamp } from '../time.ts'
import { formatRFC3339Nano, getString, int64, type Timestamp, type Value } from '../value.ts'

type Impl = (v: Value) => Value

/** A Bento V2 plugin method (Static): no error annotation, folded for literal targets. */
function v2Method(name: string, params: ParamDef[], make: (a: Args) => Impl): MethodSpec {
  return {
    name,
    params,
    ctor: (target: Fn, args: Args): Fn => {
      const fn = make(args)
      if (target.kind === 'literal') return literal(fn(target.value as Value), `method ${name}`)
      const te = target.exec
      return closure(`method ${name}`, (ctx) => fn(te(ctx)))
    },
  }
}

function tsMethod(name: string, params: ParamDef[], make: (a: Args) => (t: Timestamp) => Value): MethodSpec {
  return v2Method(name, params, (a) => {
    const fn = make(a)
    return (v) => fn(toTimestamp(v))
  })
}

function strMethod(name: string, params: ParamDef[], make: (a: Args) => (s: string) => Value): MethodSpec {
  return v2Method(name, params, (a) => {
    const fn = make(a)
    return (v) => fn(getString(v))
  })
}

/** Small caches so dynamic (per-message) arguments don't recompile every time. */
function cached<T>(compile: (s: string) => T): (s: string) => T {
  const m = new Map<string, T>()
  return (s) => {
    let c = m.get(s)
    if (c === undefined) {
      c = compile(s)
      if (m.size >= 256) m.clear()
      m.set(s, c)
    }
    return c
  }
}

const layoutOf: (s: string) => CompiledLayout = cached(compileLayout)
const strftimeOf: (s: string) => CompiledStrftime = cached(compileStrftime)

function tzArg(a: Args, name: string): Location | null {
  const tz = a.optString(name)
  if (tz === undefined) return null
  try {
    return loadLocation(tz)
  } catch (e) {
    throw wrapErr('failed to parse timezone location name', e)
  }
}

function periodArg(s: string): Period {
  try {
    return parsePeriod(s)
  } catch (e) {
    if (e instanceof PeriodError) throw plainErr(e.message)
    throw e
  }
}

const FORMAT: ParamDef = { name: 'format', type: 'string', description: 'The format of the target string.' }
const TZ: ParamDef = { name: 'tz', type: 'string', optional: true }

function formatTs(name: string): MethodSpec {
  return tsMethod(name, [{ name: 'format', type: 'string', default: RFC3339_NANO }, TZ], (a) => {
    const layout = layoutOf(a.string('format'))
    const loc = tzArg(a, 'tz')
    return (t) => formatLayout(loc === null ? t : inLocation(t, loc), layout)
  })
}

function strftimeTs(name: string): MethodSpec {
  return tsMethod(name, [{ name: 'format', type: 'string' }, TZ], (a) => {
    const f = strftimeOf(a.string('format'))
    const loc = tzArg(a, 'tz')
    return (t) => formatStrftime(loc === null ? t : inLocation(t, loc), f)
  })
}

function parseTs(name: string, deprecated: boolean): MethodSpec {
  return strMethod(name, [FORMAT], (a) => {
    const layout = layoutOf(a.string('format'))
    return (s) => {
      const t = parseLayout(layout, s)
      return deprecated ? formatRFC3339Nano(t) : t
    }
  })
}

function strptimeTs(name: string, deprecated: boolean): MethodSpec {
  return strMethod(name, [FORMAT], (a) => {
    const format = a.string('format')
    return (s) => {
      const t = parseStrftime(s, format)
      return deprecated ? formatRFC3339Nano(t) : t
    }
  })
}

function unixTs(name: string, f: (t: Timestamp) => Value): MethodSpec {
  return tsMethod(name, [], () => f)
}

function isoModify(name: string, negate: boolean): MethodSpec {
  return tsMethod(name, [{ name: 'duration', type: 'string' }], (a) => {
    let p = periodArg(a.string('duration'))
    if (negate) p = negatePeriod(p)
    return (t) => addPeriod(p, t)
  })
}

export const timeMethods: MethodSpec[] = [
  tsMethod('ts_round', [{ name: 'duration', type: 'int' }], (a) => {
    const d = a.bigint('duration')
    return (t) => roundTimestamp(t, d)
  }),
  tsMethod('ts_tz', [{ name: 'tz', type: 'string' }], (a) => {
    const loc = tzArg(a, 'tz') as Location
    return (t) => inLocation(t, loc)
  }),
  isoModify('ts_add_iso8601', false),
  isoModify('ts_sub_iso8601', true),
  strMethod('parse_duration', [], () => (s) => parseDuration(s)),
  strMethod('parse_duration_iso8601', [], () => (s) => int64(periodDuration(periodArg(s)))),
  parseTs('ts_parse', false),
  parseTs('parse_timestamp', true),
  strptimeTs('ts_strptime', false),
  strptimeTs('parse_timestamp_strptime', true),
  formatTs('ts_format'),
  formatTs('format_timestamp'),
  strftimeTs('ts_strftime'),
  strftimeTs('format_timestamp_strftime'),
  unixTs('ts_unix', unixSeconds),
  unixTs('format_timestamp_unix', unixSeconds),
  unixTs('ts_unix_milli', unixMilli),
  unixTs('format_timestamp_unix_milli', unixMilli),
  unixTs('ts_unix_micro', unixMicro),
  unixTs('format_timestamp_unix_micro', unixMicro),
  unixTs('ts_unix_nano', unixNano),
  unixTs('format_timestamp_unix_nano', unixNano),
  tsMethod('ts_sub', [{ name: 't2', type: 'timestamp' }], (a) => {
    const t2 = a.timestamp('t2')
    return (t1) => subTimestamps(t1, t2)
  }),
]
