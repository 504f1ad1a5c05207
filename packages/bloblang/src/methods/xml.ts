// parse_xml and format_xml with clbanning/mxj's conventions (what Bento uses): attributes become
// `-name` keys, text next to attributes or children becomes `#text`, repeated elements become
// arrays; comments, directives and processing instructions are skipped. The tokenizer is lenient
// like Go's encoding/xml with Strict = false (unquoted attribute values, HTML entities).

import { plainErr, typeError, wrapErr } from '../errors.ts'
import { type MethodSpec, pluginMethod } from '../registry.ts'
import {
  bytesToString,
  float64,
  formatFloatG,
  getBytes,
  getKey,
  isObject,
  Num,
  numberToString,
  setKey,
  sortedKeys,
  stringToBytes,
  Timestamp,
  toStringValue,
  type Value,
  type VObject,
} from '../value.ts'

class XMLSyntaxError {
  readonly msg: string
  constructor(msg: string) {
    this.msg = msg
  }
}

const NAME_START = /[A-Za-z_:\u00c0-\uffff]/
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00b7\u00c0-\uffff]/

/** mxj's cast: numbers (float64) first, then bools, else the text. */
function castValue(s: string, cast: boolean): Value {
  if (!cast) return s
  const lower = s.toLowerCase()
  if (lower === 'nan' || lower === 'inf' || lower === '-inf' || lower === '+inf') return s
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const f = Number(s.replace(/^\+/, ''))
    if (!Number.isNaN(f)) return float64(f)
  }
  if (/^(1|t|T|TRUE|true|True)$/.test(s)) return true
  if (/^(0|f|F|FALSE|false|False)$/.test(s)) return false
  return s
}

function localName(name: string): string {
  const i = name.indexOf(':')
  return i === -1 ? name : name.slice(i + 1)
}

/** encoding/xml's entities: the five XML ones and character references; others stay as text. */
function decodeText(s: string): string {
  if (!s.includes('&')) return s
  return s.replace(/&(lt|gt|amp|apos|quot|#[0-9]+|#x[0-9a-fA-F]+);/g, (m, e: string) => {
    switch (e) {
      case 'lt':
        return '<'
      case 'gt':
        return '>'
      case 'amp':
        return '&'
      case 'apos':
        return "'"
      case 'quot':
        return '"'
    }
    const cp = e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10)
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : m
  })
}

interface Element {
  name: string
  node: VObject
  text: string
  hasChildren: boolean
}

/** Adds a child value under a key: a repeated key turns into an array. */
function addChild(node: VObject, key: string, v: Value): void {
  const prev = getKey(node, key)
  if (prev === undefined) setKey(node, key, v)
  else if (Array.isArray(prev)) prev.push(v)
  else setKey(node, key, [prev, v])
}

const TRIM = /^[\t\r\n\b ]+|[\t\r\n\b ]+$/g

function parseXML(src: string, cast: boolean): VObject {
  const root: VObject = {}
  const stack: Element[] = []
  let i = 0
  const n = src.length
  let sawRoot = false
  const fail = (msg: string): never => {
    const line = src.slice(0, i).split('\n').length
    throw new XMLSyntaxError(`xml.Decoder.Token() - XML syntax error on line ${line}: ${msg}`)
  }
  const readName = (): string => {
    const start = i
    if (i >= n || !NAME_START.test(src[i] as string)) fail('expected element name after <')
    while (i < n && NAME_CHAR.test(src[i] as string)) i++
    return src.slice(start, i)
  }
  const skipWS = (): void => {
    while (i < n && /\s/.test(src[i] as string)) i++
  }
  const finish = (el: Element): Value => {
    const text = el.text.replace(TRIM, '')
    if (Object.keys(el.node).length === 0 && !el.hasChildren) return castValue(text, cast)
    if (text !== '') setKey(el.node, '#text', castValue(text, cast))
    return el.node
  }
  while (i < n) {
    if (src[i] !== '<') {
      const next = src.indexOf('<', i)
      const end = next === -1 ? n : next
      const text = decodeText(src.slice(i, end))
      const top = stack[stack.length - 1]
      if (top !== undefined) top.text += text
      else if (text.trim() !== '') fail('unexpected text outside of the root element')
      i = end
      continue
    }
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4)
      if (end === -1) fail('unexpected EOF')
      i = end + 3
      continue
    }
    if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i + 9)
      if (end === -1) fail('unexpected EOF in CDATA section')
      const top = stack[stack.length - 1]
      if (top !== undefined) top.text += src.slice(i + 9, end)
      i = end + 3
      continue
    }
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i + 2)
      if (end === -1) fail('unexpected EOF')
      i = end + 2
      continue
    }
    if (src.startsWith('<!', i)) {
      let depth = 0
      let j = i + 2
      for (; j < n; j++) {
        if (src[j] === '<') depth++
        else if (src[j] === '>') {
          if (depth === 0) break
          depth--
        }
      }
      if (j >= n) fail('unexpected EOF')
      i = j + 1
      continue
    }
    if (src[i + 1] === '/') {
      i += 2
      const name = readName()
      skipWS()
      if (src[i] !== '>') fail(`invalid characters between </${name} and >`)
      i++
      // Lenient like encoding/xml with Strict = false: a mismatched end tag closes the open
      // elements up to the one it names.
      const local = localName(name)
      let matched = false
      while (!matched) {
        const el = stack.pop()
        if (el === undefined) fail(`unexpected end element </${name}>`)
        matched = (el as Element).name === local
        const v = finish(el as Element)
        const parent = stack[stack.length - 1]
        if (parent === undefined) {
          // mxj reads the first element only: whatever follows it is ignored.
          setKey(root, (el as Element).name, v)
          return root
        }
        parent.hasChildren = true
        addChild(parent.node, (el as Element).name, v)
      }
      continue
    }
    i++
    const name = readName()
    if (stack.length === 0 && sawRoot) fail('unexpected element after the root element')
    const el: Element = { name: localName(name), node: {}, text: '', hasChildren: false }
    for (;;) {
      skipWS()
      if (i >= n) fail('unexpected EOF')
      if (src[i] === '/' && src[i + 1] === '>') {
        i += 2
        const v = finish(el)
        const parent = stack[stack.length - 1]
        if (parent === undefined) {
          setKey(root, el.name, v)
          return root
        } else {
          parent.hasChildren = true
          addChild(parent.node, el.name, v)
        }
        break
      }
      if (src[i] === '>') {
        i++
        stack.push(el)
        sawRoot = true
        break
      }
      const attr = readName()
      skipWS()
      let val = attr
      if (src[i] === '=') {
        i++
        skipWS()
        const q = src[i]
        if (q === '"' || q === "'") {
          const end = src.indexOf(q, i + 1)
          if (end === -1) fail('unexpected EOF')
          val = decodeText(src.slice(i + 1, end))
          i = end + 1
        } else {
          const start = i
          while (i < n && !/[\s>]/.test(src[i] as string) && !(src[i] === '/' && src[i + 1] === '>')) i++
          val = decodeText(src.slice(start, i))
        }
      }
      const key = `-${localName(attr)}`
      setKey(el.node, key, castValue(val, cast))
    }
  }
  if (stack.length > 0) fail('unexpected EOF')
  if (!sawRoot) throw new XMLSyntaxError('EOF')
  return root
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** mxj writes values as they are (its XMLEscapeChars option is off in Bento). */
function escapeXML(s: string): string {
  return s
}

function scalarText(v: Value): string {
  if (v === null) return ''
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloatG(v)
  if (v instanceof Num) return numberToString(v)
  if (v instanceof Uint8Array) return bytesToString(v)
  if (v instanceof Timestamp) return toStringValue(v)
  return toStringValue(v)
}

interface XmlOpts {
  indent: string
  pretty: boolean
}

/** One element (or a run of them for an array value), mxj's mapToXml. */
function writeElement(key: string, v: Value, depth: number, o: XmlOpts, out: string[]): void {
  if (Array.isArray(v)) {
    for (const e of v) writeElement(key, e, depth, o, out)
    return
  }
  const pad = o.pretty ? `\n${o.indent.repeat(depth)}` : ''
  const first = out.length === 0
  let s = `${first ? o.indent.repeat(depth) : pad}<${key}`
  if (isObject(v)) {
    const keys = sortedKeys(v)
    const attrs = keys.filter((k) => k.startsWith('-') && k.length > 1)
    for (const k of attrs) s += ` ${k.slice(1)}="${escapeXML(scalarText(v[k] as Value))}"`
    const text = getKey(v, '#text')
    const children = keys.filter((k) => !(k.startsWith('-') && k.length > 1) && k !== '#text')
    if (children.length === 0) {
      if (text === undefined) {
        out.push(`${s}/>`)
        return
      }
      out.push(`${s}>${escapeXML(scalarText(text))}</${key}>`)
      return
    }
    out.push(`${s}>${text === undefined ? '' : escapeXML(scalarText(text))}`)
    for (const k of children) writeElement(k, v[k] as Value, depth + 1, o, out)
    out.push(`${pad}</${key}>`)
    return
  }
  if (v === null) {
    out.push(`${s}/>`)
    return
  }
  out.push(`${s}>${escapeXML(scalarText(v))}</${key}>`)
}

function formatXML(obj: VObject, indent: string, pretty: boolean): string {
  const keys = sortedKeys(obj)
  const o: XmlOpts = { indent, pretty }
  const out: string[] = []
  if (keys.length === 1) writeElement(keys[0] as string, obj[keys[0] as string] as Value, 0, o, out)
  else writeElement('doc', obj, 0, o, out)
  return out.join('')
}

export const xmlMethods: MethodSpec[] = [
  pluginMethod('parse_xml', { params: [{ name: 'cast', type: 'bool', default: false }] }, (a) => {
    const cast = a.bool('cast')
    return (v) => {
      const s = bytesToString(getBytes(v))
      try {
        return parseXML(s, cast)
      } catch (e) {
        if (e instanceof XMLSyntaxError) throw wrapErr('failed to parse value as XML', plainErr(e.msg))
        throw e
      }
    }
  }),
  pluginMethod(
    'format_xml',
    {
      params: [
        { name: 'indent', type: 'string', default: '    ' },
        { name: 'no_indent', type: 'bool', default: false },
      ],
    },
    (a) => {
      const indent = a.string('indent')
      const noIndent = a.bool('no_indent')
      return (v) => {
        if (!isObject(v)) throw typeError(v, ['object'])
        return stringToBytes(formatXML(v, noIndent ? '' : indent, !noIndent))
      }
    },
  ),
]
