// Topic names are dot-separated segments (`orders.eu.created`). A pattern is a topic whose
// segments may be `*` (exactly one segment) or `**` (one or more segments).

/** Why a pattern (or, with `wildcards: false`, a topic) is not valid; undefined when it is. */
export function topicProblem(text: string, wildcards = true): string | undefined {
  if (text === '') return 'is empty'
  const segments = text.split('.')
  for (const [i, s] of segments.entries()) {
    if (s === '') return `has an empty segment at position ${i + 1} (two dots, or a dot at an end)`
    if (s === '*' || s === '**') {
      if (!wildcards) return `contains the wildcard "${s}"; a topic must be a plain name`
      continue
    }
    if (s.includes('*')) return `segment "${s}" mixes "*" with text; a wildcard must be a whole segment`
  }
  return undefined
}

/** Whether `topic` matches `pattern`. */
export function matchTopic(pattern: string, topic: string): boolean {
  return matchSegments(pattern.split('.'), 0, topic.split('.'), 0)
}

function matchSegments(p: string[], i: number, t: string[], j: number): boolean {
  for (; i < p.length; i++, j++) {
    const s = p[i]!
    if (s === '**') {
      // one or more segments: try every split, shortest first
      for (let k = j + 1; k <= t.length; k++) if (matchSegments(p, i + 1, t, k)) return true
      return false
    }
    if (j >= t.length) return false
    if (s !== '*' && s !== t[j]) return false
  }
  return j === t.length
}

/** Whether every topic `inner` matches is also matched by `outer` (permission checks of patterns). */
export function patternWithin(inner: string, outer: string): boolean {
  return within(inner.split('.'), 0, outer.split('.'), 0)
}

function within(a: string[], i: number, b: string[], j: number): boolean {
  if (i === a.length || j === b.length) return i === a.length && j === b.length
  const x = a[i]!
  const y = b[j]!
  if (y === '**') return within(a, i + 1, b, j + 1) || within(a, i + 1, b, j)
  if (x === '**') return false
  if (y === '*') return within(a, i + 1, b, j + 1)
  return x === y && within(a, i + 1, b, j + 1)
}
