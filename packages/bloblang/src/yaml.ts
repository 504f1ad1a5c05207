// YAML as Bento does it with gopkg.in/yaml.v3 (v3.0.1):
//
// - formatYAML: yaml.Marshal of a Bloblang value. A port of the parts of go-yaml's libyaml
//   emitter that Marshal reaches for plain data (block mappings with keys in go-yaml's natural
//   order, block sequences, `{}`/`[]`, plain / single / double quoted / literal scalars, 4-space
//   indentation, no line folding), so output matches byte for byte.
// - parseYAML: yaml.Unmarshal into interface{}. The `yaml` package parses the document (failsafe
//   schema, so every scalar stays raw text); scalars are then resolved with go-yaml's rules
//   (ints with 0x/0o/0b/leading-0 octal and `_`, YAML 1.1 timestamps, .inf/.nan, only
//   true/false/null spellings of YAML 1.2), merge keys and duplicate-key errors like v3.

import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Scalar,
  type YAMLError,
  type Node as YNode,
} from 'yaml'
import { plainErr } from './errors.ts'
import { compileLayout, formatLayout, parseLayout } from './time/layout.ts'
import {
  bytesToString,
  DELETE,
  float64,
  formatFloatG,
  formatRFC3339Nano,
  goQuote,
  int64,
  isObject,
  NOTHING,
  Num,
  setKey,
  Timestamp,
  uint64,
  type Value,
  type VObject,
} from './value.ts'

// ---------------------------------------------------------------------------------------------
// go-yaml's scalar resolution

const STR = '!!str'
const INT = '!!int'
const FLOAT = '!!float'
const BOOL = '!!bool'
const NULL = '!!null'
const TIMESTAMP = '!!timestamp'
const BINARY = '!!binary'
const MERGE = '!!merge'

type Resolved = { tag: string; value: Value | string }

const RESOLVE_MAP = new Map<string, Resolved>()
for (const s of ['true', 'True', 'TRUE']) RESOLVE_MAP.set(s, { tag: BOOL, value: true })
for (const s of ['false', 'False', 'FALSE']) RESOLVE_MAP.set(s, { tag: BOOL, value: false })
for (const s of ['', '~', 'null', 'Null', 'NULL']) RESOLVE_MAP.set(s, { tag: NULL, value: null })
for (const s of ['.nan', '.NaN', '.NAN']) RESOLVE_MAP.set(s, { tag: FLOAT, value: Number.NaN })
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) {
  RESOLVE_MAP.set(s, { tag: FLOAT, value: Number.POSITIVE_INFINITY })
}
for (const s of ['-.inf', '-.Inf', '-.INF'])
  RESOLVE_MAP.set(s, { tag: FLOAT, value: Number.NEGATIVE_INFINITY })
RESOLVE_MAP.set('<<', { tag: MERGE, value: '<<' })

function hintOf(c: string | undefined): string {
  if (c === undefined) return 'N'
  if (c === '+' || c === '-') return 'S'
  if (c >= '0' && c <= '9') return 'D'
  if ('yYnNtTfFoO~'.includes(c)) return 'M'
  if (c === '.') return '.'
  return ''
}

const MAX_I64 = 0x7fffffffffffffffn
const MIN_I64 = -0x8000000000000000n
const MAX_U64 = 0xffffffffffffffffn

/** strconv.ParseInt(s, base, 64) for base 0/2/8 (after go-yaml removed underscores). */
function parseGoIntBase(s: string, base: number, unsigned: boolean): bigint | null {
  let body = s
  let neg = false
  if (body[0] === '+' || body[0] === '-') {
    if (unsigned) return null
    neg = body[0] === '-'
    body = body.slice(1)
  }
  let b = base
  if (b === 0) {
    b = 10
    if (body[0] === '0') {
      const p = body[1]
      if (p === 'x' || p === 'X') {
        b = 16
        body = body.slice(2)
      } else if (p === 'o' || p === 'O') {
        b = 8
        body = body.slice(2)
      } else if (p === 'b' || p === 'B') {
        b = 2
        body = body.slice(2)
      } else {
        b = 8
        body = body.slice(1)
        if (body === '') return 0n
      }
    }
  }
  if (body === '') return null
  const digits = b === 16 ? /^[0-9a-fA-F]+$/ : b === 10 ? /^[0-9]+$/ : b === 8 ? /^[0-7]+$/ : /^[01]+$/
  if (!digits.test(body)) return null
  const prefix = b === 16 ? '0x' : b === 8 ? '0o' : b === 2 ? '0b' : ''
  let v = BigInt(prefix + body)
  if (neg) v = -v
  if (unsigned) return v <= MAX_U64 ? v : null
  return v <= MAX_I64 && v >= MIN_I64 ? v : null
}

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/

/** strconv.ParseFloat(s, 64) for what go-yaml hands it; null on error (incl. out of range). */
function parseGoFloat(s: string): number | null {
  const low = s.toLowerCase()
  let body = low
  if (body[0] === '+' || body[0] === '-') body = body.slice(1)
  if (body === 'inf' || body === 'infinity') return low[0] === '-' ? -Infinity : Infinity
  if (body === 'nan') return Number.NaN
  if (/^(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(body)) {
    const f = Number(low)
    if (!Number.isFinite(f)) return null
    return f
  }
  if (/^0x/.test(body)) {
    // hex floats need a p exponent in Go
    const m = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?p([-+]?\d+)$/.exec(body)
    if (m === null || `${m[1]}${m[2] ?? ''}` === '') return null
    const mant = Number.parseInt(`${m[1] || '0'}${m[2] ?? ''}`, 16) / 16 ** (m[2]?.length ?? 0)
    const f = mant * 2 ** Number(m[3])
    if (!Number.isFinite(f)) return null
    return low[0] === '-' ? -f : f
  }
  return null
}

const TIMESTAMP_LAYOUTS = [
  '2006-1-2T15:4:5.999999999Z07:00',
  '2006-1-2t15:4:5.999999999Z07:00',
  '2006-1-2 15:4:5.999999999',
  '2006-1-2',
].map(compileLayout)

function parseTimestamp(s: string): Timestamp | null {
  let i = 0
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++
  if (i !== 4 || i === s.length || s[i] !== '-') return null
  for (const l of TIMESTAMP_LAYOUTS) {
    try {
      return parseLayout(l, s)
    } catch {
      // next format
    }
  }
  return null
}

class YamlFail {
  msg: string
  constructor(msg: string) {
    this.msg = msg
  }
}

function intResult(v: bigint): Resolved {
  return { tag: INT, value: int64(v) }
}

/** go-yaml's resolve(tag, in). Throws YamlFail for impossible explicit tags. */
function resolve(tagIn: string, input: string): Resolved {
  const tag = tagIn
  if (
    !(
      tag === '' ||
      tag === STR ||
      tag === BOOL ||
      tag === INT ||
      tag === FLOAT ||
      tag === NULL ||
      tag === TIMESTAMP
    )
  ) {
    return { tag, value: input }
  }
  const r = resolveRaw(tag, input)
  if (tag === '' || tag === r.tag || tag === STR) return r
  if (tag === FLOAT && r.tag === INT) {
    const v = r.value
    return { tag: FLOAT, value: float64(typeof v === 'number' ? v : Number((v as Num).big)) }
  }
  throw new YamlFail(`cannot decode ${r.tag} \`${input}\` as a ${tag}`)
}

function resolveRaw(tag: string, input: string): Resolved {
  const hint = hintOf(input[0])
  if (hint !== '' && tag !== STR && tag !== BINARY) {
    const item = RESOLVE_MAP.get(input)
    if (item !== undefined) return item
    switch (hint) {
      case '.': {
        const f = parseGoFloat(input)
        if (f !== null) return { tag: FLOAT, value: f }
        break
      }
      case 'D':
      case 'S': {
        if (tag === '' || tag === TIMESTAMP) {
          const t = parseTimestamp(input)
          if (t !== null) return { tag: TIMESTAMP, value: t }
        }
        const plain = input.replaceAll('_', '')
        const iv = parseGoIntBase(plain, 0, false)
        if (iv !== null) return intResult(iv)
        const uv = parseGoIntBase(plain, 0, true)
        if (uv !== null) return { tag: INT, value: uint64(uv) }
        if (YAML_FLOAT.test(plain)) {
          const f = parseGoFloat(plain)
          if (f !== null) return { tag: FLOAT, value: f }
        }
        if (plain.startsWith('0b')) {
          const v = parseGoIntBase(plain.slice(2), 2, false)
          if (v !== null) return intResult(v)
          const u = parseGoIntBase(plain.slice(2), 2, true)
          if (u !== null) return { tag: INT, value: uint64(u) }
        } else if (plain.startsWith('-0b')) {
          const v = parseGoIntBase(`-${plain.slice(3)}`, 2, false)
          if (v !== null) return intResult(v)
        }
        if (plain.startsWith('0o')) {
          const v = parseGoIntBase(plain.slice(2), 8, false)
          if (v !== null) return intResult(v)
          const u = parseGoIntBase(plain.slice(2), 8, true)
          if (u !== null) return { tag: INT, value: uint64(u) }
        } else if (plain.startsWith('-0o')) {
          const v = parseGoIntBase(`-${plain.slice(3)}`, 8, false)
          if (v !== null) return intResult(v)
        }
        break
      }
    }
  }
  return { tag: STR, value: input }
}

/** The tag go-yaml resolves a plain scalar to (for the emitter's quoting decision). */
function resolvedTag(s: string): string {
  return resolveRaw('', s).tag
}

// ---------------------------------------------------------------------------------------------
// Marshal (emitter)

const BEST_INDENT = 4

function isBreakCp(c: number): boolean {
  return c === 0x0d || c === 0x0a || c === 0x85 || c === 0x2028 || c === 0x2029
}

function isBlankCp(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09
}

function isBlankzCp(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0 || isBreakCp(c)
}

function isPrintableCp(c: number): boolean {
  return (
    c === 0x0a ||
    (c >= 0x20 && c <= 0x7e) ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff)
  )
}

/** Code points of a string (lone surrogates become U+FFFD, as Go's UTF-8 would hold). */
function codePoints(s: string): number[] {
  const out: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000)
        i++
        continue
      }
    }
    out.push(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c)
  }
  return out
}

function utf8Len(cps: number[]): number {
  let n = 0
  for (const c of cps) n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4
  return n
}

interface Analysis {
  multiline: boolean
  flowPlain: boolean
  blockPlain: boolean
  single: boolean
  block: boolean
}

function analyzeScalar(cps: number[]): Analysis {
  const n = cps.length
  if (n === 0) return { multiline: false, flowPlain: false, blockPlain: true, single: true, block: false }
  let blockInd = false
  let flowInd = false
  let lineBreaks = false
  let special = false
  let tabs = false
  let leadingSpace = false
  let leadingBreak = false
  let trailingSpace = false
  let trailingBreak = false
  let breakSpace = false
  let spaceBreak = false
  let prevSpace = false
  let prevBreak = false
  if (
    n >= 3 &&
    ((cps[0] === 0x2d && cps[1] === 0x2d && cps[2] === 0x2d) ||
      (cps[0] === 0x2e && cps[1] === 0x2e && cps[2] === 0x2e))
  ) {
    blockInd = true
    flowInd = true
  }
  let precededByWS = true
  for (let i = 0; i < n; i++) {
    const c = cps[i] as number
    const followedByWS = i + 1 >= n || isBlankCp(cps[i + 1])
    if (i === 0) {
      switch (c) {
        case 0x23: // #
        case 0x2c: // ,
        case 0x5b: // [
        case 0x5d: // ]
        case 0x7b: // {
        case 0x7d: // }
        case 0x26: // &
        case 0x2a: // *
        case 0x21: // !
        case 0x7c: // |
        case 0x3e: // >
        case 0x27: // '
        case 0x22: // "
        case 0x25: // %
        case 0x40: // @
        case 0x60: // `
          flowInd = true
          blockInd = true
          break
        case 0x3f: // ?
        case 0x3a: // :
          flowInd = true
          if (followedByWS) blockInd = true
          break
        case 0x2d: // -
          if (followedByWS) {
            flowInd = true
            blockInd = true
          }
          break
      }
    } else {
      switch (c) {
        case 0x2c:
        case 0x3f:
        case 0x5b:
        case 0x5d:
        case 0x7b:
        case 0x7d:
          flowInd = true
          break
        case 0x3a:
          flowInd = true
          if (followedByWS) blockInd = true
          break
        case 0x23:
          if (precededByWS) {
            flowInd = true
            blockInd = true
          }
          break
      }
    }
    if (c === 0x09) tabs = true
    else if (!isPrintableCp(c)) special = true
    if (c === 0x20) {
      if (i === 0) leadingSpace = true
      if (i === n - 1) trailingSpace = true
      if (prevBreak) breakSpace = true
      prevSpace = true
      prevBreak = false
    } else if (isBreakCp(c)) {
      lineBreaks = true
      if (i === 0) leadingBreak = true
      if (i === n - 1) trailingBreak = true
      if (prevSpace) spaceBreak = true
      prevSpace = false
      prevBreak = true
    } else {
      prevSpace = false
      prevBreak = false
    }
    precededByWS = isBlankzCp(c)
  }
  const a: Analysis = { multiline: lineBreaks, flowPlain: true, blockPlain: true, single: true, block: true }
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    a.flowPlain = false
    a.blockPlain = false
  }
  if (trailingSpace) a.block = false
  if (breakSpace) {
    a.flowPlain = false
    a.blockPlain = false
    a.single = false
  }
  if (spaceBreak || tabs || special) {
    a.flowPlain = false
    a.blockPlain = false
    a.single = false
  }
  if (spaceBreak || special) a.block = false
  if (lineBreaks) {
    a.flowPlain = false
    a.blockPlain = false
  }
  if (flowInd) a.flowPlain = false
  if (blockInd) a.blockPlain = false
  return a
}

type Style = 'plain' | 'single' | 'double' | 'literal'

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/
const OLD_BOOLS = new Set([
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'on',
  'On',
  'ON',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'off',
  'Off',
  'OFF',
])

/** encoder.stringv's style choice for a string. */
function stringStyle(s: string): Style {
  if (s.includes('\n')) return 'literal'
  const c = s[0]
  const base60 =
    s !== '' && (c === '+' || c === '-' || (c !== undefined && c >= '0' && c <= '9')) && s.includes(':')
  const canUsePlain = resolvedTag(s) === STR && !((base60 && BASE60_FLOAT.test(s)) || OLD_BOOLS.has(s))
  return canUsePlain ? 'plain' : 'double'
}

const HEXU = '0123456789ABCDEF'

type Parent = 'seqItem' | 'other'

class Emitter {
  out = ''
  column = 0
  whitespace = true
  indention = true
  indent = -1
  indents: number[] = []
  flowLevel = 0

  put(s: string): void {
    this.out += s
    this.column++
  }

  putBreak(): void {
    this.out += '\n'
    this.column = 0
    this.indention = true
  }

  writeCp(c: number): void {
    this.out += String.fromCodePoint(c)
    this.column++
  }

  writeBreak(c: number): void {
    if (c === 0x0a) this.putBreak()
    else {
      this.writeCp(c)
      this.column = 0
      this.indention = true
    }
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0)
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace))
      this.putBreak()
    while (this.column < indent) this.put(' ')
    this.whitespace = true
  }

  writeIndicator(ind: string, needWS: boolean, isWS: boolean, isIndention: boolean): void {
    if (needWS && !this.whitespace) this.put(' ')
    this.out += ind
    this.column += ind.length
    this.whitespace = isWS
    this.indention = this.indention && isIndention
  }

  increaseIndent(flow: boolean, parent: Parent): void {
    this.indents.push(this.indent)
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0
    else if (parent === 'seqItem') this.indent += 2
    else this.indent = BEST_INDENT * Math.floor((this.indent + BEST_INDENT) / BEST_INDENT)
  }

  popIndent(): void {
    this.indent = this.indents.pop() as number
  }

  /** An emitted scalar: requested style, then libyaml's choice given the context. */
  scalar(text: string, requested: Style, parent: Parent, simpleKey: boolean, cps = codePoints(text)): void {
    const a = analyzeScalar(cps)
    let style = requested
    if (simpleKey && a.multiline) style = 'double'
    if (style === 'plain') {
      if ((this.flowLevel > 0 && !a.flowPlain) || (this.flowLevel === 0 && !a.blockPlain)) style = 'single'
      if (cps.length === 0 && (this.flowLevel > 0 || simpleKey)) style = 'single'
    }
    if (style === 'single' && !a.single) style = 'double'
    if (style === 'literal' && (!a.block || this.flowLevel > 0 || simpleKey)) style = 'double'
    this.increaseIndent(true, parent)
    switch (style) {
      case 'plain':
        this.writePlain(cps)
        break
      case 'single':
        this.writeSingle(cps)
        break
      case 'double':
        this.writeDouble(cps)
        break
      case 'literal':
        this.writeLiteral(cps)
        break
    }
    this.popIndent()
  }

  writePlain(cps: number[]): void {
    if (cps.length > 0 && !this.whitespace) this.put(' ')
    let breaks = false
    for (const c of cps) {
      if (c === 0x20) this.writeCp(c)
      else if (isBreakCp(c)) {
        if (!breaks && c === 0x0a) this.putBreak()
        this.writeBreak(c)
        breaks = true
      } else {
        if (breaks) this.writeIndent()
        this.writeCp(c)
        this.indention = false
        breaks = false
      }
    }
    if (cps.length > 0) this.whitespace = false
    this.indention = false
  }

  writeSingle(cps: number[]): void {
    this.writeIndicator("'", true, false, false)
    let breaks = false
    for (const c of cps) {
      if (c === 0x20) this.writeCp(c)
      else if (isBreakCp(c)) {
        if (!breaks && c === 0x0a) this.putBreak()
        this.writeBreak(c)
        breaks = true
      } else {
        if (breaks) this.writeIndent()
        if (c === 0x27) this.put("'")
        this.writeCp(c)
        this.indention = false
        breaks = false
      }
    }
    this.writeIndicator("'", false, false, false)
    this.whitespace = false
    this.indention = false
  }

  writeDouble(cps: number[]): void {
    this.writeIndicator('"', true, false, false)
    const bom = cps[0] === 0xfeff
    for (const c of cps) {
      if (!isPrintableCp(c) || bom || isBreakCp(c) || c === 0x22 || c === 0x5c) {
        this.put('\\')
        let esc: string | null = null
        switch (c) {
          case 0x00:
            esc = '0'
            break
          case 0x07:
            esc = 'a'
            break
          case 0x08:
            esc = 'b'
            break
          case 0x09:
            esc = 't'
            break
          case 0x0a:
            esc = 'n'
            break
          case 0x0b:
            esc = 'v'
            break
          case 0x0c:
            esc = 'f'
            break
          case 0x0d:
            esc = 'r'
            break
          case 0x1b:
            esc = 'e'
            break
          case 0x22:
            esc = '"'
            break
          case 0x5c:
            esc = '\\'
            break
          case 0x85:
            esc = 'N'
            break
          case 0xa0:
            esc = '_'
            break
          case 0x2028:
            esc = 'L'
            break
          case 0x2029:
            esc = 'P'
            break
        }
        if (esc !== null) this.put(esc)
        else {
          const [letter, w] = c <= 0xff ? ['x', 2] : c <= 0xffff ? ['u', 4] : ['U', 8]
          this.put(letter)
          for (let k = (w - 1) * 4; k >= 0; k -= 4) this.put(HEXU[(c >> k) & 0xf] as string)
        }
      } else this.writeCp(c)
    }
    this.writeIndicator('"', false, false, false)
    this.whitespace = false
    this.indention = false
  }

  writeLiteral(cps: number[]): void {
    this.writeIndicator('|', true, false, false)
    const n = cps.length
    if (n > 0 && (cps[0] === 0x20 || isBreakCp(cps[0] as number))) {
      this.writeIndicator(String(BEST_INDENT), false, false, false)
    }
    let chomp = ''
    if (n === 0) chomp = '-'
    else if (!isBreakCp(cps[n - 1] as number)) chomp = '-'
    else if (n === 1) chomp = '+'
    else if (isBreakCp(cps[n - 2] as number)) chomp = '+'
    if (chomp !== '') this.writeIndicator(chomp, false, false, false)
    this.whitespace = true
    let breaks = true
    for (const c of cps) {
      if (isBreakCp(c)) {
        this.writeBreak(c)
        breaks = true
      } else {
        if (breaks) this.writeIndent()
        this.writeCp(c)
        this.indention = false
        breaks = false
      }
    }
  }

  emptyCollection(open: string, close: string, parent: Parent): void {
    this.writeIndicator(open, true, true, false)
    this.increaseIndent(true, parent)
    this.flowLevel++
    this.flowLevel--
    this.popIndent()
    if (this.column === 0) this.writeIndent()
    this.writeIndicator(close, false, false, false)
  }

  node(v: Value | undefined, parent: Parent): void {
    if (v === null || v === undefined || v === DELETE || v === NOTHING) {
      this.scalar('null', 'plain', parent, false)
      return
    }
    switch (typeof v) {
      case 'string':
        this.scalar(v, stringStyle(v), parent, false)
        return
      case 'boolean':
        this.scalar(v ? 'true' : 'false', 'plain', parent, false)
        return
      case 'number':
        this.scalar(Number.isInteger(v) ? String(v) : goFloat(v), 'plain', parent, false)
        return
    }
    if (v instanceof Num) {
      if (v.kind === 'json') this.scalar(v.text, stringStyle(v.text), parent, false)
      else if (v.kind === 'float') this.scalar(goFloat(v.f), 'plain', parent, false)
      else this.scalar(v.big.toString(), 'plain', parent, false)
      return
    }
    if (v instanceof Timestamp) {
      this.scalar(formatRFC3339Nano(v), 'plain', parent, false)
      return
    }
    if (v instanceof Uint8Array) {
      // []byte marshals as a sequence of integers
      this.sequence(Array.from(v), parent)
      return
    }
    if (Array.isArray(v)) {
      this.sequence(v, parent)
      return
    }
    if (isObject(v)) this.mapping(v, parent)
  }

  sequence(items: Value[], parent: Parent): void {
    if (items.length === 0) {
      this.emptyCollection('[', ']', parent)
      return
    }
    this.increaseIndent(false, parent)
    for (const item of items) {
      this.writeIndent()
      this.writeIndicator('-', true, false, true)
      this.node(item, 'seqItem')
    }
    this.popIndent()
  }

  mapping(o: VObject, parent: Parent): void {
    const keys = Object.keys(o)
    if (keys.length === 0) {
      this.emptyCollection('{', '}', parent)
      return
    }
    if (keys.length > 1) keys.sort(yamlKeyCompare)
    this.increaseIndent(false, parent)
    for (const k of keys) {
      this.writeIndent()
      const cps = codePoints(k)
      const multiline = cps.some(isBreakCp)
      if (!multiline && utf8Len(cps) <= 128) {
        this.scalar(k, stringStyle(k), 'other', true, cps)
        this.writeIndicator(':', false, false, false)
      } else {
        this.writeIndicator('?', true, false, true)
        this.scalar(k, stringStyle(k), 'other', false, cps)
        this.writeIndent()
        this.writeIndicator(':', true, false, true)
      }
      this.node(o[k] as Value, 'other')
    }
    this.popIndent()
  }
}

function goFloat(f: number): string {
  const s = formatFloatG(f)
  if (s === '+Inf') return '.inf'
  if (s === '-Inf') return '-.inf'
  if (s === 'NaN') return '.nan'
  return s
}

const DIGIT = /^\p{Nd}$/u
const LETTER = /^\p{L}$/u

/** go-yaml's keyList.Less for string keys ("natural" order: digit runs compare as numbers). */
export function yamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a)
  const br = Array.from(b)
  let digits = false
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string
    const bc = br[i] as string
    if (ac === bc) {
      digits = DIGIT.test(ac)
      continue
    }
    const al = LETTER.test(ac)
    const bl = LETTER.test(bc)
    if (al && bl) return (ac.codePointAt(0) as number) < (bc.codePointAt(0) as number)
    if (al || bl) return digits ? al : bl
    let an = 0n
    let bn = 0n
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && DIGIT.test(ar[j] as string); j--) {
        if (ar[j] !== '0') {
          an = 1n
          bn = 1n
          break
        }
      }
    }
    let ai = i
    for (; ai < ar.length && DIGIT.test(ar[ai] as string); ai++) {
      an = BigInt.asIntN(64, an * 10n + BigInt((ar[ai] as string).codePointAt(0) as number) - 48n)
    }
    let bi = i
    for (; bi < br.length && DIGIT.test(br[bi] as string); bi++) {
      bn = BigInt.asIntN(64, bn * 10n + BigInt((br[bi] as string).codePointAt(0) as number) - 48n)
    }
    if (an !== bn) return an < bn
    if (ai !== bi) return ai < bi
    return (ac.codePointAt(0) as number) < (bc.codePointAt(0) as number)
  }
  return ar.length < br.length
}

function yamlKeyCompare(a: string, b: string): number {
  if (yamlKeyLess(a, b)) return -1
  if (yamlKeyLess(b, a)) return 1
  return 0
}

/** yaml.Marshal(v) as go-yaml v3 writes it. */
export function formatYAML(v: Value): string {
  const e = new Emitter()
  e.node(v, 'other')
  // document end: a final line break unless the last scalar already ended the line
  if (!e.indention || e.column > 0 || !e.whitespace) e.putBreak()
  return e.out
}

// ---------------------------------------------------------------------------------------------
// Unmarshal

const YAML_TAG_PREFIX = 'tag:yaml.org,2002:'

function shortTag(tag: string): string {
  return tag.startsWith(YAML_TAG_PREFIX) ? `!!${tag.slice(YAML_TAG_PREFIX.length)}` : tag
}

interface Ctx {
  text: string
  doc: Document.Parsed
  lines: LineCounter
  terrors: string[]
  aliasDepth: Set<YNode>
}

const SCALAR_QUOTED = new Set(['QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'])

function nodeTag(n: YNode): string {
  const t = (n as { tag?: string }).tag
  return t === undefined || t === '!' ? '' : shortTag(t)
}

function scalarText(n: Scalar): string {
  const v = n.value
  return typeof v === 'string' ? v : String(v)
}

function lineOf(n: YNode, ctx: Ctx): number {
  const r = (n as { range?: [number, number, number] }).range
  return r === undefined ? 0 : ctx.lines.linePos(r[0]).line
}

/** The raw Value go-yaml compares for duplicate keys (node kind + Value). */
function nodeIdentity(n: YNode): string {
  if (isScalar(n)) return `s\u0000${scalarText(n)}`
  if (isAlias(n)) return `a\u0000${n.source}`
  return isMap(n) ? 'm\u0000' : 's\u0000\u0000seq'
}

function nodeValueText(n: YNode): string {
  if (isScalar(n)) return scalarText(n)
  if (isAlias(n)) return n.source
  return ''
}

/** libyaml keeps no final line break for a block scalar cut off by the end of input. */
function blockScalarText(n: Scalar, ctx: Ctx): string {
  const text = scalarText(n)
  if (n.type !== 'BLOCK_LITERAL' && n.type !== 'BLOCK_FOLDED') return text
  const src = ctx.text
  const last = src[src.length - 1]
  const end = (n as { range?: [number, number, number] }).range?.[1] ?? 0
  if (last !== '\n' && last !== '\r' && end >= src.length && text.endsWith('\n')) return text.slice(0, -1)
  return text
}

function decodeScalar(n: Scalar, ctx: Ctx): Value {
  const text = blockScalarText(n, ctx)
  const explicit = nodeTag(n)
  if (explicit === STR || (explicit === '' && SCALAR_QUOTED.has(n.type ?? ''))) return text
  if (explicit === '') return plainValue(text)
  const r = resolve(explicit, text)
  if (r.tag === BINARY) {
    const cleaned = text.replace(/[\r\n]/g, '')
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(cleaned)) {
      throw new YamlFail('!!binary value contains invalid base64 data')
    }
    return bytesToString(Buffer.from(cleaned, 'base64'))
  }
  const v = r.value
  if (typeof v === 'number' && !Number.isInteger(v)) return v
  if (typeof v === 'number') return r.tag === FLOAT ? float64(v) : v
  return v as Value
}

/** The value of an untagged plain scalar. */
function plainValue(text: string): Value {
  const r = resolveRaw('', text)
  const v = r.value
  if (typeof v === 'number') return Number.isInteger(v) && r.tag === FLOAT ? float64(v) : v
  return v as Value
}

function decodeNode(n: YNode | null | undefined, ctx: Ctx): Value {
  if (n === null || n === undefined) return null
  if (isAlias(n)) {
    const target = n.resolve(ctx.doc) as YNode | undefined
    if (target === undefined) throw new YamlFail(`unknown anchor '${n.source}' referenced`)
    if (ctx.aliasDepth.has(target)) throw new YamlFail(`anchor '${n.source}' value contains itself`)
    ctx.aliasDepth.add(target)
    try {
      return decodeNode(target, ctx)
    } finally {
      ctx.aliasDepth.delete(target)
    }
  }
  if (isScalar(n)) return decodeScalar(n, ctx)
  if (isSeq(n)) return n.items.map((it) => decodeNode(it as YNode, ctx))
  if (isMap(n)) {
    const out: VObject = {}
    decodeMapping(n as unknown as MapNode, out, ctx, null)
    return out
  }
  return null
}

interface Pair {
  key: YNode | null
  value: YNode | null
}
interface MapNode {
  items: Pair[]
}

function isMergeKey(k: YNode | null): boolean {
  if (k === null || !isScalar(k)) return false
  if (scalarText(k) !== '<<') return false
  const t = nodeTag(k)
  if (t === MERGE) return true
  return t === '' && (k.type === 'PLAIN' || k.type === undefined)
}

/** Go's fmt %v of a map key value (keys of non-string maps become strings here). */
function keyString(v: Value): string {
  if (v === null) return '<nil>'
  if (typeof v === 'string') return v
  if (typeof v === 'boolean') return String(v)
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloatG(v)
  if (v instanceof Num)
    return v.kind === 'float' ? formatFloatG(v.f) : v.kind === 'json' ? v.text : v.big.toString()
  if (v instanceof Timestamp) return formatLayout(v, GO_TIME_STRING)
  return String(v)
}

const GO_TIME_STRING = compileLayout('2006-01-02 15:04:05.999999999 -0700 MST')

function decodeMapping(n: MapNode, out: VObject, ctx: Ctx, merged: Set<string> | null): boolean {
  const items = n.items
  // duplicate keys
  const nerrs = ctx.terrors.length
  for (let i = 0; i < items.length; i++) {
    const ki = (items[i] as Pair).key
    if (ki === null) continue
    for (let j = i + 1; j < items.length; j++) {
      const kj = (items[j] as Pair).key
      if (kj === null) continue
      if (nodeIdentity(ki) === nodeIdentity(kj)) {
        ctx.terrors.push(
          `line ${lineOf(kj, ctx)}: mapping key ${goQuote(nodeValueText(kj))} already defined at line ${lineOf(ki, ctx)}`,
        )
      }
    }
  }
  if (ctx.terrors.length > nerrs) return false
  let mergeNode: YNode | null = null
  for (const p of items) {
    if (isMergeKey(p.key)) {
      mergeNode = p.value
      continue
    }
    const kv = decodeNode(p.key, ctx)
    if (Array.isArray(kv) || isObject(kv)) {
      throw new YamlFail(`invalid map key: ${goSyntax(kv)}`)
    }
    const key = keyString(kv)
    if (merged !== null) {
      if (merged.has(key)) continue
      merged.add(key)
    }
    setKey(out, key, decodeNode(p.value, ctx))
  }
  if (mergeNode !== null) {
    const fields =
      merged ?? new Set(items.filter((p) => !isMergeKey(p.key)).map((p) => keyString(decodeNode(p.key, ctx))))
    const mergeOne = (m: YNode) => {
      const target = isAlias(m) ? (m.resolve(ctx.doc) as YNode | undefined) : m
      if (target === undefined || !isMap(target))
        throw new YamlFail('map merge requires map or sequence of maps as the value')
      decodeMapping(target as unknown as MapNode, out, ctx, fields)
    }
    if (isMap(mergeNode) || isAlias(mergeNode)) mergeOne(mergeNode)
    else if (isSeq(mergeNode)) {
      for (const it of mergeNode.items) {
        const m = it as YNode
        if (!isAlias(m) && !isMap(m))
          throw new YamlFail('map merge requires map or sequence of maps as the value')
        mergeOne(m)
      }
    } else throw new YamlFail('map merge requires map or sequence of maps as the value')
  }
  return true
}

/** A rough Go %#v for collection keys in error messages. */
function goSyntax(v: Value): string {
  if (Array.isArray(v)) return `[]interface {}{${v.map((x) => goSyntaxElem(x)).join(', ')}}`
  if (isObject(v)) {
    const keys = Object.keys(v).sort()
    return `map[string]interface {}{${keys.map((k) => `${goQuote(k)}:${goSyntaxElem(v[k] as Value)}`).join(', ')}}`
  }
  return goSyntaxElem(v)
}

function goSyntaxElem(v: Value): string {
  if (v === null) return 'interface {}(nil)'
  if (typeof v === 'string') return goQuote(v)
  if (typeof v === 'boolean') return String(v)
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloatG(v)
  if (v instanceof Num) return keyString(v)
  if (Array.isArray(v) || isObject(v)) return goSyntax(v)
  return keyString(v)
}

// ---------------------------------------------------------------------------------------------
// Fast path: the `yaml` package is slow (several microseconds per line), so documents made only of
// the everyday subset (block mappings and sequences, single-line plain and quoted scalars, `[]`,
// `{}`, simple flow sequences, comments) are decoded directly. Anything else (anchors, tags, block
// scalars, multi-line scalars, complex or duplicate keys, merges, tabs, directives, errors) returns
// undefined and goes through the full path, which decides.

interface Line {
  indent: number
  text: string
  /** 1-based line number. */
  no: number
}

class Bail {}
const BAIL = new Bail()

/** Characters that cannot start a plain scalar (or start something else). */
function badPlainStart(c: string, next: string | undefined): boolean {
  switch (c) {
    case ',':
    case '[':
    case ']':
    case '{':
    case '}':
    case '#':
    case '&':
    case '*':
    case '!':
    case '|':
    case '>':
    case "'":
    case '"':
    case '%':
    case '@':
    case '`':
      return true
    case '-':
    case '?':
    case ':':
      return next === undefined || next === ' '
  }
  return false
}

/** The end of the content of a line, before a comment (" #"); the text is trimmed at the end. */
function stripComment(t: string, from: number): string {
  let end = t.length
  for (let i = from; i < t.length; i++) {
    if (t[i] === '#' && (i === 0 || t[i - 1] === ' ')) {
      end = i
      break
    }
  }
  let e = end
  while (e > from && t[e - 1] === ' ') e--
  return t.slice(from, e)
}

/** A single-line plain scalar in block context (bails on anything that isn't one). */
function plainScalarText(t: string): string {
  if (t === '') return ''
  if (badPlainStart(t[0] as string, t[1])) throw BAIL
  if (t.includes(': ') || t.endsWith(':')) throw BAIL
  return t
}

const DQ_ESC: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
}

/** A quoted scalar starting at t[i]; returns [value, index after the closing quote]. */
function quotedScalar(t: string, i: number): [string, number] {
  const q = t[i]
  let out = ''
  let j = i + 1
  if (q === "'") {
    for (;;) {
      const k = t.indexOf("'", j)
      if (k < 0) throw BAIL
      out += t.slice(j, k)
      if (t[k + 1] === "'") {
        out += "'"
        j = k + 2
        continue
      }
      return [out, k + 1]
    }
  }
  for (;;) {
    if (j >= t.length) throw BAIL
    const c = t[j] as string
    if (c === '"') return [out, j + 1]
    if (c !== '\\') {
      out += c
      j++
      continue
    }
    const e = t[j + 1]
    if (e === undefined) throw BAIL
    const simple = Object.hasOwn(DQ_ESC, e) ? DQ_ESC[e] : undefined
    if (simple !== undefined) {
      out += simple
      j += 2
      continue
    }
    const n = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0
    if (n === 0) throw BAIL
    const hex = t.slice(j + 2, j + 2 + n)
    if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) throw BAIL
    const cp = Number.parseInt(hex, 16)
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw BAIL
    out += String.fromCodePoint(cp)
    j += 2 + n
  }
}

/** After a quoted scalar only spaces and a comment may follow. */
function onlyCommentAfter(t: string, i: number): boolean {
  let j = i
  while (t[j] === ' ') j++
  return j === t.length || (t[j] === '#' && j > i)
}

class FastParser {
  lines: Line[]
  raw: string[]
  /** Number of raw lines that end with a line break. */
  broken: number
  pos = 0
  constructor(lines: Line[], raw: string[]) {
    this.lines = lines
    this.raw = raw
    this.broken = raw.length - 1
  }

  /**
   * A literal block scalar (`|`, `|-`, `|+`) whose header is on the current line: its content
   * lines follow, more indented than `parentIndent`. Leaves `pos` on the next node line.
   */
  literal(header: string, parentIndent: number): string {
    const line = this.peek() as Line
    const raw = this.raw
    let i = line.no // raw index of the first line after the header
    const first = raw[i]
    if (first === undefined) throw BAIL
    let ci = 0
    while (first.charCodeAt(ci) === 0x20) ci++
    if (ci === first.length || ci <= parentIndent) throw BAIL // leading blank line or no content
    const parts: string[] = []
    let trailing = 0
    let lastContentBreak = false
    const lastReal = this.broken // raw lines [0, lastReal) end with a break
    for (; i < raw.length; i++) {
      if (i === raw.length - 1 && i >= lastReal && raw[i] === '') break // the artificial last line
      const l = raw[i] as string
      if (l === '') {
        trailing++
        continue
      }
      let ind = 0
      while (l.charCodeAt(ind) === 0x20) ind++
      if (ind === l.length) throw BAIL // whitespace-only line
      if (ind < ci) break
      for (let k = 0; k < trailing; k++) parts.push('')
      trailing = 0
      parts.push(l.slice(ci))
      lastContentBreak = i < lastReal
    }
    // skip the node lines the scalar covered
    while (this.pos < this.lines.length && (this.lines[this.pos] as Line).no <= i) this.pos++
    const next = this.peek()
    if (next !== undefined && next.no <= i) throw BAIL
    let v = parts.join('\n')
    if (header === '|-') return v
    if (lastContentBreak) v += '\n'
    if (header === '|+') {
      // trailing empty lines that end with a line break
      let t = 0
      for (let k = i - trailing; k < i; k++) if (k < lastReal) t++
      v += '\n'.repeat(t)
    }
    return v
  }

  peek(): Line | undefined {
    return this.lines[this.pos]
  }

  /** A node whose first line is the current one, at exactly that line's indentation. */
  node(parentIndent: number): Value {
    const line = this.peek() as Line
    const t = line.text
    if (t === '-' || t.startsWith('- ')) return this.sequence(line.indent)
    if (this.keyEnd(t) >= 0) return this.mapping(line.indent)
    // a scalar on a line of its own: must not continue on the next line
    const v = this.inlineValue(t)
    this.pos++
    const next = this.peek()
    if (next !== undefined && next.indent > parentIndent) throw BAIL
    return v
  }

  /** Index of the ':' ending a mapping key on this line, or -1 (bails on keys it can't read). */
  keyEnd(t: string): number {
    const c = t[0]
    if (c === '"' || c === "'") {
      let end: number
      try {
        end = quotedScalar(t, 0)[1]
      } catch {
        return -1
      }
      let j = end
      while (t[j] === ' ') j++
      return t[j] === ':' && (j + 1 === t.length || t[j + 1] === ' ') ? j : -1
    }
    for (let i = 0; i < t.length; i++) {
      const ch = t[i]
      if (ch === '#' && i > 0 && t[i - 1] === ' ') return -1
      if (ch === ':' && (i + 1 === t.length || t[i + 1] === ' ')) return i
    }
    return -1
  }

  mapping(indent: number): Value {
    const out: VObject = {}
    const seen = new Set<string>()
    for (;;) {
      const line = this.peek()
      if (line === undefined || line.indent !== indent) break
      const t = line.text
      const ke = this.keyEnd(t)
      if (ke < 0) throw BAIL
      let raw: string
      let quoted = false
      if (t[0] === '"' || t[0] === "'") {
        raw = quotedScalar(t, 0)[0]
        quoted = true
      } else {
        let e = ke
        while (e > 0 && t[e - 1] === ' ') e--
        raw = t.slice(0, e)
        if (raw === '' || raw === '<<' || badPlainStart(raw[0] as string, raw[1]) || raw.includes(': '))
          throw BAIL
      }
      if (seen.has(raw)) throw BAIL // duplicate keys: the full path reports them
      seen.add(raw)
      const key = quoted ? raw : keyString(plainValue(raw))
      const rest = stripComment(t, ke + 1).trimStart()
      let value: Value
      if (rest === '|' || rest === '|-' || rest === '|+') {
        value = this.literal(rest, indent)
        setKey(out, key, value)
        continue
      }
      this.pos++
      if (rest === '') {
        const next = this.peek()
        if (next !== undefined && next.indent > indent) value = this.node(indent)
        else if (
          next !== undefined &&
          next.indent === indent &&
          (next.text === '-' || next.text.startsWith('- '))
        ) {
          value = this.sequence(indent)
        } else value = null
      } else {
        value = this.inlineValue(rest)
        const next = this.peek()
        if (next !== undefined && next.indent > indent) throw BAIL
      }
      setKey(out, key, value)
    }
    return out
  }

  sequence(indent: number): Value {
    const out: Value[] = []
    for (;;) {
      const line = this.peek()
      if (line === undefined || line.indent !== indent) break
      const t = line.text
      if (!(t === '-' || t.startsWith('- '))) break
      let k = 1
      while (t[k] === ' ') k++
      const rest = t.slice(k)
      if (rest === '' || rest[0] === '#') {
        if (rest !== '' && stripComment(rest, 0) !== '') throw BAIL
        this.pos++
        const next = this.peek()
        out.push(next !== undefined && next.indent > indent ? this.node(indent) : null)
        continue
      }
      const header = stripComment(rest, 0)
      if (header === '|' || header === '|-' || header === '|+') {
        out.push(this.literal(header, indent))
        continue
      }
      // the item starts on this line: read it as a node at its own column
      const col = indent + k
      this.lines[this.pos] = { indent: col, text: rest, no: line.no }
      if (rest === '-' || rest.startsWith('- ') || this.keyEnd(rest) >= 0) {
        out.push(this.node(indent))
      } else {
        out.push(this.inlineValue(rest))
        this.pos++
        const next = this.peek()
        if (next !== undefined && next.indent > indent) throw BAIL
      }
    }
    return out
  }

  /** A value written on the rest of a line: plain or quoted scalar, [] / {} / simple [a, b]. */
  inlineValue(t: string): Value {
    const c = t[0]
    if (c === '"' || c === "'") {
      const [v, end] = quotedScalar(t, 0)
      if (!onlyCommentAfter(t, end)) throw BAIL
      return v
    }
    if (c === '[' || c === '{') {
      const body = stripComment(t, 0)
      if (body === '[]') return []
      if (body === '{}') return {}
      if (c === '{' || !body.endsWith(']')) throw BAIL
      const inner = body.slice(1, -1)
      if (/[[\]{}"'#:&*!|>%@`?]/.test(inner)) throw BAIL
      return inner.split(',').map((part) => {
        const item = part.trim()
        if (item === '' || badPlainStart(item[0] as string, item[1])) throw BAIL
        return plainValue(item)
      })
    }
    return plainValue(plainScalarText(stripComment(t, 0)))
  }
}

/** Decodes the common YAML subset directly; undefined when the full parser must decide. */
export function parseYAMLFast(text: string): Value | undefined {
  if (text.length > 65536) return undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // tabs, CR, BOM and control characters: leave to the full parser
    if (
      c === 9 ||
      c === 13 ||
      c === 0xfeff ||
      c < 9 ||
      (c > 10 && c < 32) ||
      c === 0x85 ||
      c === 0x2028 ||
      c === 0x2029
    ) {
      return undefined
    }
  }
  const raw = text.split('\n')
  const lines: Line[] = []
  for (let i = 0; i < raw.length; i++) {
    const l = raw[i] as string
    let ind = 0
    while (l.charCodeAt(ind) === 0x20) ind++
    if (ind === l.length) continue
    if (l[ind] === '#') continue
    if (ind === 0 && (l.startsWith('---') || l.startsWith('...') || l[0] === '%')) {
      // a leading "---" line starts the document; anything else about documents is left alone
      if (lines.length === 0 && (l === '---' || l.startsWith('--- #'))) continue
      return undefined
    }
    let end = l.length
    while (l.charCodeAt(end - 1) === 0x20) end--
    lines.push({ indent: ind, text: l.slice(ind, end), no: i + 1 })
  }
  if (lines.length === 0) return null
  const p = new FastParser(lines, raw)
  try {
    const first = lines[0] as Line
    const v = p.node(first.indent - 1)
    if (p.pos !== lines.length) return undefined
    return v
  } catch (e) {
    if (e === BAIL) return undefined
    throw e
  }
}

/**
 * A libyaml-style message for the syntax errors the `yaml` package reports (the common ones;
 * the rest keep the `yaml` package's wording).
 */
function syntaxError(err: YAMLError, lines: LineCounter, text: string): string {
  const line = lines.linePos(err.pos[0]).line
  const at = line > 1 ? `line ${line}: ` : ''
  const msg = err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'syntax error'
  const flow = /^Flow (sequence|map)\b.*end with a ([\]}])$/.exec(msg)
  if (flow !== null) {
    // an unterminated flow collection: empty at the end of input, or missing its separator
    const open = flow[2] === ']' ? '[' : '{'
    const rest = text.slice(text.lastIndexOf(open) + 1)
    if (rest.trim() === '') return `line ${line}: did not find expected node content`
    return `line ${line}: did not find expected ',' or '${flow[2]}'`
  }
  switch (err.code) {
    case 'BAD_SCALAR_START':
      return `${at}found character that cannot start any token`
    case 'TAB_AS_INDENT':
      return line > 1
        ? `${at}found a tab character that violates indentation`
        : 'found character that cannot start any token'
    case 'BLOCK_AS_IMPLICIT_KEY':
      return `${at}mapping values are not allowed in this context`
    case 'MISSING_CHAR':
      if (msg.includes('quote')) return 'found unexpected end of stream'
  }
  return `line ${line}: ${msg}`
}

/** yaml.Unmarshal(text, &v). Throws a QueryError `yaml: ...` like go-yaml. */
export function parseYAML(text: string): Value {
  const fast = parseYAMLFast(text)
  if (fast !== undefined) return fast
  return parseYAMLFull(text)
}

/** yaml.Unmarshal through the `yaml` package (any document). */
export function parseYAMLFull(text: string): Value {
  const lines = new LineCounter()
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    schema: 'failsafe',
    resolveKnownTags: false,
    uniqueKeys: false,
    merge: false,
    prettyErrors: false,
    strict: false,
  })
  const list = Array.isArray(docs) ? docs : []
  const doc = list[0]
  if (doc === undefined) return null
  const err = doc.errors[0]
  if (err !== undefined) throw plainErr(`yaml: ${syntaxError(err, lines, text)}`)
  const ctx: Ctx = { doc, lines, terrors: [], aliasDepth: new Set(), text }
  let v: Value
  try {
    v = decodeNode(doc.contents as YNode | null, ctx)
  } catch (e) {
    if (e instanceof YamlFail) throw plainErr(`yaml: ${e.msg}`)
    throw e
  }
  if (ctx.terrors.length > 0) throw plainErr(`yaml: unmarshal errors:\n  ${ctx.terrors.join('\n  ')}`)
  return v
}
