// Timestamp helpers: Go's IGetTimestamp (numbers as unix seconds, strings as RFC 3339) and the
// entry points of the time implementation in ./time/ (zones, layouts, strftime, periods).

import { typeError } from './errors.ts'
import { timestampFromUnix } from './time/core.ts'
import { compileLayout, parseLayout, RFC3339_NANO } from './time/layout.ts'
import { bytesToString, getNumber, Num, sanitize, Timestamp, type Value } from './value.ts'

export { timestampFromUnix }

const RFC3339_NANO_LAYOUT = compileLayout(RFC3339_NANO)

/** time.Parse(time.RFC3339Nano, s). */
export function parseRFC3339(s: string): Timestamp {
  return parseLayout(RFC3339_NANO_LAYOUT, s)
}

/** Go's IGetTimestamp. */
export function toTimestamp(v: Value): Timestamp {
  if (v instanceof Timestamp) return v
  if (typeof v === 'string') return parseRFC3339(v)
  if (typeof v === 'number' && Number.isInteger(v)) return timestampFromUnix(v)
  const s = sanitize(v)
  if (typeof s === 'number' || s instanceof Num) {
    if (typeof s === 'number' && Number.isInteger(s)) return timestampFromUnix(s)
    if (s instanceof Num && s.kind !== 'float') return timestampFromUnix(Number(BigInt.asIntN(64, s.big)))
    const f = getNumber(s)
    const i = Math.trunc(f)
    // Go's int64(float64) on amd64: out of range (and NaN) becomes math.MinInt64.
    const sec = Number.isNaN(i) || i >= 2 ** 63 || i < -(2 ** 63) ? -(2 ** 63) : i
    return timestampFromUnix(sec, Math.trunc((f - i) * 1e9) || 0)
  }
  if (s instanceof Uint8Array) return parseRFC3339(bytesToString(s))
  throw typeError(v, ['number', 'string'])
}
