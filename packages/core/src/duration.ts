// Durations are written the way Bento (Go's time.ParseDuration) reads them: "500ms", "1m30s", "2h".

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y

/** Milliseconds in a Go duration string; throws with the reason when it is not one. */
export function parseDuration(text: string): number {
  let s = text.trim()
  let sign = 1
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1
    s = s.slice(1)
  }
  if (s === '0') return 0
  if (s === '') throw new Error(`invalid duration "${text}"`)
  let total = 0
  part.lastIndex = 0
  while (part.lastIndex < s.length) {
    const at = part.lastIndex
    const match = part.exec(s)
    if (match === null || match.index !== at) {
      throw new Error(`invalid duration "${text}": expected a number and a unit (ns, us, ms, s, m, h)`)
    }
    total += Number(match[1]) * unitMs[match[2]!]!
  }
  return sign * total
}

/** A duration the way Go prints it (`time.Duration.String`): "1m30s", "500ms", "2h0m0s". */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s'
  const sign = ms < 0 ? '-' : ''
  let rest = Math.abs(ms)
  if (rest < 1000) {
    if (rest >= 1) return `${sign}${trim(rest)}ms`
    if (rest >= 0.001) return `${sign}${trim(rest * 1000)}µs`
    return `${sign}${Math.round(rest * 1e6)}ns`
  }
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  const seconds = `${trim(rest / 1000)}s`
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`
  if (minutes > 0) return `${sign}${minutes}m${seconds}`
  return `${sign}${seconds}`
}

const trim = (n: number): string => String(Number(n.toFixed(9)))
