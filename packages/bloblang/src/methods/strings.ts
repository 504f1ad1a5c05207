// String manipulation and regular expression methods.

import { decodeHTML } from 'entities'
import { RE2JS } from 're2js'
import { plainErr, typeError } from '../errors.ts'
import { goUnquote } from '../parser.ts'
import { type MethodSpec, simpleMethod } from '../registry.ts'
import {
  bytesToString,
  compareValues,
  getString,
  goQuote,
  isAscii,
  isObject,
  Num,
  numberToString,
  sanitize,
  stringToBytes,
  toStringValue,
  utf8Length,
  type Value,
  type VObject,
} from '../value.ts'

/** A method on the string form of its target (strings, bytes, timestamps). */
function stringMethod(
  name: string,
  spec: Parameters<typeof simpleMethod>[1],
  make: (args: Parameters<Parameters<typeof simpleMethod>[2]>[0]) => (s: string) => Value,
): MethodSpec {
  return simpleMethod(name, spec, (args) => {
    const fn = make(args)
    return (v) => fn(getString(v))
  })
}

/** Go's strings.Title: upper-case the first letter of every word. */
/**
 * golang.org/x/text cases.Title(language.English): the first cased letter of a word is title
 * cased, later ones lower cased. Words follow x/text's approximation of Unicode word breaks:
 * letters, digits, marks and connectors continue a word, a single mid character (`'`, `.`, `:`,
 * ...) between letters does too, anything else breaks it.
 */
function title(s: string): string {
  let out = ''
  let midWord = false
  let prevMid = false
  const chars = Array.from(s)
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string
    const mid = TITLE_MID.test(ch)
    if (prevMid && mid) midWord = false
    if (TITLE_CASED.test(ch)) {
      if (ch === 'Σ' && midWord) out += finalSigma(chars, i + 1) ? 'ς' : 'σ'
      else if (midWord) out += ch.toLowerCase()
      else {
        out += titleRune(ch)
        midWord = true
      }
    } else {
      out += ch
      if (!mid && !TITLE_LETTER.test(ch)) midWord = false
    }
    prevMid = mid
  }
  return out
}

/** Σ ends a word when no cased letter follows (case-ignorable characters skipped). */
function finalSigma(chars: string[], from: number): boolean {
  for (let j = from; j < chars.length; j++) {
    const c = chars[j] as string
    if (TITLE_CASED.test(c)) return false
    if (!/^\p{Case_Ignorable}$/u.test(c)) return true
  }
  return true
}

const TITLE_CASED = /^\p{Cased}$/u
const TITLE_MID =
  /^[':.\u00b7\u0387\u055f\u05f4\u2018\u2019\u2024\u2027\ufe13\ufe52\ufe55\uff07\uff0e\uff1a]$/u
const TITLE_LETTER =
  /^(?:(?![\p{Ideographic}\p{Script=Hiragana}\p{Script=Katakana}])\p{Alphabetic}|\p{Nd}|\p{M}|\p{Pc}|\p{Cf})$/u
const TITLE_DIGRAPH: Record<string, string> = {
  Ǆ: 'ǅ',
  ǅ: 'ǅ',
  ǆ: 'ǅ',
  Ǉ: 'ǈ',
  ǈ: 'ǈ',
  ǉ: 'ǈ',
  Ǌ: 'ǋ',
  ǋ: 'ǋ',
  ǌ: 'ǋ',
  Ǳ: 'ǲ',
  ǲ: 'ǲ',
  ǳ: 'ǲ',
}

function titleRune(ch: string): string {
  const d = TITLE_DIGRAPH[ch]
  if (d !== undefined) return d
  const up = ch.toUpperCase()
  if (up.length <= 2 && Array.from(up).length === 1) return up
  // Special casings that expand (ß → Ss, ﬀ → Ff): title case keeps only the first one upper.
  const [first = '', ...rest] = Array.from(up)
  return first + rest.join('').toLowerCase()
}

/**
 * Go's strings.ToUpper: each code point's simple mapping, so `ß` and `ﬀ` stay (JS expands them to
 * `SS`, `FF`). Only expanding mappings differ, and they make the string longer.
 */
function goUpper(s: string): string {
  const up = s.toUpperCase()
  if (up.length === s.length) return up
  let out = ''
  for (const ch of s) {
    const u = ch.toUpperCase()
    out += u.length === 1 || (u.length === 2 && u.codePointAt(0)! > 0xffff) ? u : ch
  }
  return out
}

/**
 * Go's strings.ToLower: `Σ` is always `σ` (JS gives `ς` at a word's end) and `İ` is `i` (JS adds a
 * combining dot); every other code point lowers alike.
 */
function goLower(s: string): string {
  if (!s.includes('Σ') && !s.includes('İ')) return s.toLowerCase()
  let out = ''
  for (const ch of s) out += ch === 'İ' ? 'i' : ch.toLowerCase()
  return out
}

function byteSlice(s: string, from: number, to?: number): string {
  if (isAscii(s)) return s.slice(from, to)
  return Buffer.from(s, 'utf8').subarray(from, to).toString('utf8')
}

function byteIndexOf(s: string, sub: string): number {
  const i = s.indexOf(sub)
  if (i <= 0) return i
  return utf8Length(s.slice(0, i))
}

/** A subset of Go's fmt.Sprintf verbs used by `format`. */
export function goSprintf(format: string, args: Value[]): string {
  let ai = 0
  return (
    format.replace(
      /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])/g,
      (m, flags: string, width, prec, verb: string) => {
        if (verb === '%') return '%'
        if (ai >= args.length) return `%!${verb}(MISSING)`
        const a = args[ai++] as Value
        let out: string
        const sv = sanitize(a)
        switch (verb) {
          case 'v':
          case 's':
            out = typeof sv === 'string' ? sv : goV(a)
            break
          case 'd':
            out =
              typeof sv === 'number' && Number.isInteger(sv)
                ? String(sv)
                : sv instanceof Num && sv.kind !== 'float'
                  ? sv.big.toString()
                  : `%!d(${goTypeOf(a)}=${goV(a)})`
            break
          case 'f':
          case 'F': {
            const p = prec === undefined ? 6 : Number(prec)
            out =
              typeof sv === 'number' || sv instanceof Num
                ? Number(typeof sv === 'number' ? sv : sv.kind === 'float' ? sv.f : sv.big).toFixed(p)
                : `%!f(${goTypeOf(a)}=${goV(a)})`
            break
          }
          case 'q':
            out = typeof sv === 'string' ? goQuote(sv) : goV(a)
            break
          case 'x':
            out =
              typeof sv === 'string'
                ? Buffer.from(sv).toString('hex')
                : typeof sv === 'number'
                  ? sv.toString(16)
                  : goV(a)
            break
          case 't':
            out = typeof sv === 'boolean' ? String(sv) : goV(a)
            break
          default:
            out = goV(a)
        }
        if (width !== undefined && width !== '*') {
          const w = Number(width)
          if (out.length < w)
            out = flags.includes('-') ? out.padEnd(w) : out.padStart(w, flags.includes('0') ? '0' : ' ')
        }
        void m
        return out
      },
    ) +
    (ai < args.length
      ? `%!(EXTRA ${args
          .slice(ai)
          .map((a) => `${goTypeOf(a)}=${goV(a)}`)
          .join(', ')})`
      : '')
  )
}

function goTypeOf(v: Value): string {
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64'
  if (v instanceof Num) return v.kind === 'float' ? 'float64' : v.kind === 'json' ? 'json.Number' : 'int64'
  if (Array.isArray(v)) return '[]interface {}'
  if (v === null) return '<nil>'
  return 'map[string]interface {}'
}

/** Go's %v. */
function goV(v: Value): string {
  if (v === null) return '<nil>'
  if (typeof v === 'number' || v instanceof Num) {
    if (v instanceof Num && v.kind === 'json') return v.text
    return numberToString(v)
  }
  if (typeof v === 'string') return v
  if (typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`
  if (v instanceof Uint8Array) return `[${Array.from(v).join(' ')}]`
  if (isObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goV(v[k] as Value)}`)
      .join(' ')}]`
  }
  return toStringValue(v)
}

const HTML_ESC: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  "'": '&#39;',
  '"': '&#34;',
}

function queryEscape(s: string): string {
  let out = ''
  for (const b of stringToBytes(s)) {
    const c = String.fromCharCode(b)
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c
    else if (c === ' ') out += '+'
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

function queryUnescape(s: string): string {
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string
    if (c === '+') bytes.push(32)
    else if (c === '%') {
      const h = s.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(h)) {
        throw plainErr(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`)
      }
      bytes.push(Number.parseInt(h, 16))
      i += 2
    } else for (const b of stringToBytes(c)) bytes.push(b)
  }
  return bytesToString(new Uint8Array(bytes))
}

const GENERAL_CATEGORY = /^(?:Any|[LMNPSZC]|L[ultmo]|M[nce]|N[dlo]|P[cdseifo]|S[mcko]|Z[slp]|C[cfso])$/
const reCache = new Map<string, RegExp>()

/**
 * Compile an RE2 pattern to a JS RegExp. The pattern is first checked by re2js (a port of RE2),
 * so what Go's regexp rejects (lookarounds, backreferences, ...) fails with Go's error text; then
 * it is translated (named groups, inline flags, Unicode script classes). Results are cached, as
 * dynamic patterns are compiled per call.
 */
export function compileRE2(pattern: string, global = false): RegExp {
  const key = global ? `g${pattern}` : `-${pattern}`
  const hit = reCache.get(key)
  if (hit !== undefined) return hit
  try {
    RE2JS.compile(pattern)
  } catch (e) {
    const msg = (e as Error).message
    throw plainErr(msg.startsWith('error parsing regexp') ? msg : `error parsing regexp: ${msg}`)
  }
  // Go's \p{Greek} is a script; JS spells it \p{Script=Greek}. \p{^X} is Go's negation.
  let src = pattern.replace(
    /(\\+)([pP])\{(\^?)([A-Za-z_]+)\}/g,
    (m, bs: string, p: string, neg: string, name: string) => {
      if (bs.length % 2 === 0) return m
      const letter = neg === '' ? p : p === 'p' ? 'P' : 'p'
      return `${bs}${letter}{${GENERAL_CATEGORY.test(name) ? name : `Script=${name}`}}`
    },
  )
  src = src.replace(/\(\?P</g, '(?<')
  let flags = 'u'
  const m = /^\(\?([imsU]+)\)/.exec(src)
  if (m) {
    src = src.slice(m[0].length)
    for (const f of m[1] as string) if (f !== 'U' && !flags.includes(f)) flags += f
  }
  if (global) flags += 'g'
  let re: RegExp
  try {
    re = new RegExp(src, flags)
  } catch {
    try {
      re = new RegExp(src, flags.replace('u', ''))
    } catch (e) {
      throw plainErr(`error parsing regexp: ${(e as Error).message}`)
    }
  }
  if (reCache.size >= 256) reCache.clear()
  reCache.set(key, re)
  return re
}

/** Go's regexp ReplaceAllString template expansion ($1, ${name}). */
function expandTemplate(tpl: string, m: RegExpExecArray): string {
  return tpl.replace(
    /\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g,
    (_x, all: string, braced?: string, bare?: string) => {
      if (all === '$') return '$'
      const name = (braced ?? bare) as string
      if (/^\d+$/.test(name)) return m[Number(name)] ?? ''
      return m.groups?.[name] ?? ''
    },
  )
}

export const stringMethods: MethodSpec[] = [
  stringMethod('capitalize', {}, () => (s) => title(s)),
  stringMethod('uppercase', {}, () => goUpper),
  stringMethod('lowercase', {}, () => goLower),
  stringMethod('escape_html', {}, () => (s) => s.replace(/[<>&'"]/g, (c) => HTML_ESC[c] as string)),
  stringMethod(
    'unescape_html',
    {},
    // Go's html.UnescapeString: the full HTML5 entity table (also legacy names without `;`).
    // One Go quirk on top: `&#x;` (no digits) decodes as code point 0, i.e. U+FFFD.
    () => (s) =>
      s.includes('&')
        ? s
            .split(/&#[xX];/)
            .map(decodeHTML)
            .join('\ufffd')
        : s,
  ),
  stringMethod('escape_url_query', {}, () => (s) => queryEscape(s)),
  stringMethod('unescape_url_query', {}, () => (s) => queryUnescape(s)),
  stringMethod('has_prefix', { params: [{ name: 'value', type: 'string' }] }, (a) => {
    const p = a.string('value')
    return (s) => s.startsWith(p)
  }),
  stringMethod('has_suffix', { params: [{ name: 'value', type: 'string' }] }, (a) => {
    const p = a.string('value')
    return (s) => s.endsWith(p)
  }),
  stringMethod('index_of', { params: [{ name: 'value', type: 'string' }] }, (a) => {
    const p = a.string('value')
    return (s) => byteIndexOf(s, p)
  }),
  stringMethod('quote', {}, () => (s) => goQuote(s)),
  stringMethod('unquote', {}, () => (s) => {
    if (s.length >= 2 && s.startsWith('`') && s.endsWith('`') && !s.slice(1, -1).includes('`'))
      return s.slice(1, -1)
    const r = s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? goUnquote(s) : null
    if (r === null) throw plainErr('invalid syntax')
    return r
  }),
  stringMethod(
    'replace_all',
    {
      params: [
        { name: 'old', type: 'string' },
        { name: 'new', type: 'string' },
      ],
    },
    (a) => {
      const o = a.string('old')
      const n = a.string('new')
      // Go's strings.ReplaceAll with an empty old string inserts at every rune boundary.
      return (s) => (o === '' ? `${n}${Array.from(s).join(n)}${n}` : s.split(o).join(n))
    },
  ),
  stringMethod('trim', { params: [{ name: 'cutset', type: 'string', optional: true }] }, (a) => {
    const cut = a.optString('cutset')
    if (cut === undefined) return (s) => s.replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, '')
    const set = new Set(Array.from(cut))
    return (s) => {
      const chars = Array.from(s)
      let i = 0
      let j = chars.length
      while (i < j && set.has(chars[i] as string)) i++
      while (j > i && set.has(chars[j - 1] as string)) j--
      return chars.slice(i, j).join('')
    }
  }),
  stringMethod('trim_prefix', { params: [{ name: 'prefix', type: 'string' }] }, (a) => {
    const p = a.string('prefix')
    return (s) => (s.startsWith(p) ? s.slice(p.length) : s)
  }),
  stringMethod('trim_suffix', { params: [{ name: 'suffix', type: 'string' }] }, (a) => {
    const p = a.string('suffix')
    return (s) => (p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s)
  }),
  stringMethod('repeat', { params: [{ name: 'count', type: 'int' }] }, (a) => {
    const n = a.int('count')
    // Bento yields an empty string for a negative count.
    return (s) => (n < 0 ? '' : s.repeat(n))
  }),
  stringMethod('reverse', {}, () => (s) => Array.from(s).reverse().join('')),
  simpleMethod('format', { variadic: true }, (a) => {
    const args = a.all()
    return (v) => goSprintf(getString(v), args)
  }),
  simpleMethod(
    'slice',
    {
      params: [
        { name: 'low', type: 'int' },
        { name: 'high', type: 'int', optional: true },
      ],
    },
    (a) => {
      const low = a.int('low')
      const high = a.optInt('high')
      if (high !== undefined && high > 0 && low >= high) {
        throw plainErr(`lower slice bound ${low} must be lower than upper (${high})`)
      }
      const bounds = (l: number): [number, number] => {
        let h = l
        if (high !== undefined) h = high < 0 ? h + high : high
        if (h > l) h = l
        if (h < 0) h = 0
        let lo = low
        if (lo < 0) lo = Math.max(l + lo, 0)
        if (lo > h) {
          throw plainErr(
            `lower slice bound ${lo} must be lower than or equal to upper bound (${h}) and target length (${l})`,
          )
        }
        return [lo, h]
      }
      return (v) => {
        if (typeof v === 'string') {
          const [lo, h] = bounds(utf8Length(v))
          return byteSlice(v, lo, h)
        }
        if (v instanceof Uint8Array) {
          const [lo, h] = bounds(v.length)
          return v.slice(lo, h)
        }
        if (Array.isArray(v)) {
          const [lo, h] = bounds(v.length)
          return v.slice(lo, h)
        }
        throw typeError(v, ['array', 'string'])
      }
    },
  ),
  simpleMethod('split', { params: [{ name: 'delimiter', type: 'unknown' }] }, (a) => {
    const delim = a.value('delimiter')
    return (v) => {
      if (typeof v === 'string' || v instanceof Uint8Array) {
        if (typeof delim !== 'string') {
          throw plainErr(
            `delimiter type: ${goTypeOf(delim)} must match type of list elements: ${typeof v === 'string' ? 'string' : '[]uint8'}`,
          )
        }
        const s = typeof v === 'string' ? v : bytesToString(v)
        const parts = delim === '' ? Array.from(s) : s.split(delim)
        return typeof v === 'string' ? parts : parts.map(stringToBytes)
      }
      if (Array.isArray(v)) {
        if (v.length === 0) return [[]]
        const out: Value[] = []
        let cur: Value[] = []
        for (const el of v) {
          if (!compareValues(delim, el)) cur.push(el)
          else {
            out.push(cur)
            cur = []
          }
        }
        out.push(cur)
        return out
      }
      throw typeError(v, ['string', 'array', 'bytes'])
    }
  }),
  simpleMethod('contains', { params: [{ name: 'value', type: 'unknown' }] }, (a) => {
    const right = a.value('value')
    const sub = toStringValue(right)
    return (v) => {
      if (typeof v === 'string') return v.includes(sub)
      if (v instanceof Uint8Array) return bytesToString(v).includes(sub)
      if (Array.isArray(v)) return v.some((el) => compareValues(right, el))
      if (isObject(v)) return Object.keys(v).some((k) => compareValues(right, v[k]))
      throw typeError(v, ['string', 'array', 'object'])
    }
  }),
  simpleMethod('length', {}, () => (v) => {
    if (typeof v === 'string') return utf8Length(v)
    if (v instanceof Uint8Array || Array.isArray(v)) return v.length
    if (isObject(v)) return Object.keys(v).length
    throw typeError(v, ['string', 'array', 'object'])
  }),
  // Regular expressions -----------------------------------------------------------------------
  stringMethod('re_match', { params: [{ name: 'pattern', type: 'string' }] }, (a) => {
    const re = compileRE2(a.string('pattern'))
    return (s) => re.test(s)
  }),
  stringMethod('re_find_all', { params: [{ name: 'pattern', type: 'string' }] }, (a) => {
    const re = compileRE2(a.string('pattern'), true)
    return (s) => Array.from(s.matchAll(re), (m) => m[0])
  }),
  stringMethod('re_find_all_submatch', { params: [{ name: 'pattern', type: 'string' }] }, (a) => {
    const re = compileRE2(a.string('pattern'), true)
    return (s) => Array.from(s.matchAll(re), (m) => Array.from(m, (g) => g ?? ''))
  }),
  stringMethod('re_find_object', { params: [{ name: 'pattern', type: 'string' }] }, (a) => {
    const re = compileRE2(a.string('pattern'))
    return (s) => {
      const m = re.exec(s)
      const out: VObject = {}
      if (m === null) return out
      const names = groupNames(re)
      m.forEach((g, i) => {
        out[names[i] ?? String(i)] = g ?? ''
      })
      return out
    }
  }),
  stringMethod('re_find_all_object', { params: [{ name: 'pattern', type: 'string' }] }, (a) => {
    const re = compileRE2(a.string('pattern'), true)
    const names = groupNames(re)
    return (s) =>
      Array.from(s.matchAll(re), (m) => {
        const out: VObject = {}
        m.forEach((g, i) => {
          out[names[i] ?? String(i)] = g ?? ''
        })
        return out
      })
  }),
  reReplace('re_replace_all'),
  reReplace('re_replace'),
]

function reReplace(name: string): MethodSpec {
  return stringMethod(
    name,
    {
      params: [
        { name: 'pattern', type: 'string' },
        { name: 'value', type: 'string' },
      ],
    },
    (a) => {
      const re = compileRE2(a.string('pattern'), true)
      const tpl = a.string('value')
      return (s) =>
        s.replace(re, (...m) => {
          const groups = typeof m[m.length - 1] === 'object' ? m[m.length - 1] : undefined
          const arr = m.slice(0, typeof groups === 'object' ? -3 : -2) as unknown as RegExpExecArray
          arr.groups = groups
          return expandTemplate(tpl, arr)
        })
    },
  )
}

/** Names for each capture group index ('0' for the whole match, '1'... unless named). */
function groupNames(re: RegExp): string[] {
  const names: string[] = ['0']
  let idx = 0
  const src = re.source
  for (let i = 0; i < src.length; i++) {
    const c = src[i]
    if (c === '\\') {
      i++
      continue
    }
    if (c === '[') {
      while (i < src.length && src[i] !== ']') {
        if (src[i] === '\\') i++
        i++
      }
      continue
    }
    if (c === '(') {
      if (src[i + 1] === '?') {
        const m = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(src.slice(i))
        if (m) names[++idx] = m[1] as string
        continue
      }
      names[++idx] = String(idx)
    }
  }
  return names
}
