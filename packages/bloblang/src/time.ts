// Timestamp helpers: Go's IGetTimestamp (numbers as unix seconds, strings as RFC 3339).

import { plainErr, typeError } from './errors.ts'
import { bytesToString, getNumber, goQuote, Num, sanitize, Timestamp, type Value } from './value.ts'

export function timestampFromUnix(sec: number, nsec = 0): Timestamp {
  let s = sec
  let n = nsec
  if (n < 0 || n >= 1e9) {
    s += Math.floor(n / 1e9)
    n = ((n % 1e9) + 1e9) % 1e9
  }
  return new Timestamp(s, n, 0, 'Local')
}

/** time.Parse(time.RFC3339Nano, s). */
export function parseRFC3339(s: string): Timestamp {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}:\d{2})$/.exec(s)
  if (m === null) {
    throw plainErr(
      `parsing time ${goQuote(s)} as "2006-01-02T15:04:05.999999999Z07:00": cannot parse ${goQuote(s)} as "2006"`,
    )
  }
  const [, y, mo, d, h, mi, se, frac, zone] = m as unknown as string[]
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se))
  let offset = 0
  if (zone !== 'Z' && zone !== 'z' && zone !== undefined) {
    const sign = zone.startsWith('-') ? -1 : 1
    offset = sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60)
  }
  const nsec = frac ? Number(frac.slice(1).padEnd(9, '0').slice(0, 9)) : 0
  return new Timestamp(Math.floor(ms / 1000) - offset, nsec, offset, offset === 0 ? 'UTC' : '')
}

/** Go's IGetTimestamp. */
export function toTimestamp(v: Value): Timestamp {
  if (v instanceof Timestamp) return v
  const s = sanitize(v)
  if (typeof s === 'number' || s instanceof Num) {
    if (typeof s === 'number' && Number.isInteger(s)) return timestampFromUnix(s)
    if (s instanceof Num && s.kind !== 'float') return timestampFromUnix(Number(s.big))
    const f = getNumber(s)
    const i = Math.trunc(f)
    return timestampFromUnix(i, Math.trunc((f - i) * 1e9))
  }
  if (typeof s === 'string') return parseRFC3339(s)
  if (s instanceof Uint8Array) return parseRFC3339(bytesToString(s))
  throw typeError(v, ['number', 'string'])
}
