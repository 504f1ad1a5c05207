// Parsing, encoding and hashing methods.

import { createHash, createHmac } from 'node:crypto'
import { plainErr, toQueryError, wrapErr } from '../errors.ts'
import { type MethodSpec, simpleMethod } from '../registry.ts'
import {
  bytesToString,
  encodeJSON,
  encodeJSONIndent,
  float64,
  getBytes,
  getNumber,
  getString,
  isObject,
  Num,
  parseJSON,
  setKey,
  stringToBytes,
  type Value,
  type VObject,
} from '../value.ts'

function b64(buf: Uint8Array, url: boolean, raw: boolean): string {
  let s = Buffer.from(buf).toString(url ? 'base64url' : 'base64')
  if (url && !raw) while (s.length % 4 !== 0) s += '='
  return s
}

function encode(scheme: string, b: Uint8Array): string {
  switch (scheme) {
    case 'base64':
      return b64(b, false, false)
    case 'base64url':
      return b64(b, true, false)
    case 'base64rawurl':
      return b64(b, true, true)
    case 'hex':
      return Buffer.from(b).toString('hex')
    case 'ascii85':
      return ascii85(b)
    default:
      throw plainErr(`unrecognized encoding type: ${scheme}`)
  }
}

function ascii85(b: Uint8Array): string {
  let out = ''
  for (let i = 0; i < b.length; i += 4) {
    const chunk = [b[i] ?? 0, b[i + 1] ?? 0, b[i + 2] ?? 0, b[i + 3] ?? 0]
    const n = Math.min(4, b.length - i)
    let v =
      ((chunk[0] as number) * 2 ** 24 +
        (chunk[1] as number) * 2 ** 16 +
        (chunk[2] as number) * 256 +
        (chunk[3] as number)) >>>
      0
    if (v === 0 && n === 4) {
      out += 'z'
      continue
    }
    const digits: string[] = []
    for (let k = 0; k < 5; k++) {
      digits.unshift(String.fromCharCode(33 + (v % 85)))
      v = Math.floor(v / 85)
    }
    out += digits.slice(0, n + 1).join('')
  }
  return out
}

function decode(scheme: string, s: string): Uint8Array {
  switch (scheme) {
    case 'base64': {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
        throw plainErr(`illegal base64 data at input byte ${badB64Index(s, /[A-Za-z0-9+/]/)}`)
      }
      return new Uint8Array(Buffer.from(s, 'base64'))
    }
    case 'base64url':
    case 'base64rawurl':
      return new Uint8Array(Buffer.from(s, 'base64url'))
    case 'hex': {
      if (!/^([0-9a-fA-F]{2})*$/.test(s)) {
        if (s.length % 2 === 1 && /^[0-9a-fA-F]*$/.test(s))
          throw plainErr('encoding/hex: odd length hex string')
        const i = s.search(/[^0-9a-fA-F]/)
        throw plainErr(
          `encoding/hex: invalid byte: U+${(s.codePointAt(i) ?? 0).toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(s[i]).replace(/"/g, "'")}`,
        )
      }
      return new Uint8Array(Buffer.from(s, 'hex'))
    }
    default:
      throw plainErr(`unrecognized encoding type: ${scheme}`)
  }
}

function badB64Index(s: string, ok: RegExp): number {
  for (let i = 0; i < s.length; i++) if (!ok.test(s[i] as string) && s[i] !== '=') return i
  return Math.floor(s.length / 4) * 4
}

const CRC_TABLES = new Map<number, Uint32Array>()
function crc32(b: Uint8Array, poly: number): number {
  let t = CRC_TABLES.get(poly)
  if (t === undefined) {
    t = new Uint32Array(256)
    for (let i = 0; i < 256; i++) {
      let c = i
      for (let k = 0; k < 8; k++) c = c & 1 ? (poly ^ (c >>> 1)) >>> 0 : c >>> 1
      t[i] = c >>> 0
    }
    CRC_TABLES.set(poly, t)
  }
  let crc = 0xffffffff
  for (const x of b) crc = ((t[(crc ^ x) & 0xff] as number) ^ (crc >>> 8)) >>> 0
  return (crc ^ 0xffffffff) >>> 0
}

function hash(algo: string, key: string | undefined, poly: string, b: Uint8Array): Uint8Array {
  const hmac = (name: string) => {
    if (key === undefined) throw plainErr('hash algorithm hmac requires a key')
    return new Uint8Array(createHmac(name, key).update(b).digest())
  }
  switch (algo) {
    case 'hmac_sha1':
    case 'hmac-sha1':
      return hmac('sha1')
    case 'hmac_sha256':
    case 'hmac-sha256':
      return hmac('sha256')
    case 'hmac_sha512':
    case 'hmac-sha512':
      return hmac('sha512')
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      return new Uint8Array(createHash(algo).update(b).digest())
    case 'crc32': {
      const p = { IEEE: 0xedb88320, Castagnoli: 0x82f63b78, Koopman: 0xeb31d82e }[poly]
      if (p === undefined) throw plainErr(`unsupported crc32 hash key ${poly}`)
      const v = crc32(b, p)
      return new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255])
    }
    case 'fnv32': {
      let h = 0x811c9dc5
      for (const x of b) h = (Math.imul(h, 0x01000193) ^ x) >>> 0
      return new Uint8Array([h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255])
    }
    default:
      throw plainErr(`unrecognized hash type: ${algo}`)
  }
}

/** Go's url.Parse output as Bento's parse_url object. */
function parseURL(s: string): VObject {
  let u: URL
  try {
    u = new URL(s)
  } catch {
    throw plainErr(`parse ${JSON.stringify(s)}: invalid URL`)
  }
  const out: VObject = {
    scheme: u.protocol.replace(/:$/, ''),
    opaque: '',
    host: u.host,
    path: decodeURIComponent(
      u.pathname === '/' && !/^[a-z][a-z0-9+.-]*:\/\/[^/]*\//i.test(s) ? '' : u.pathname,
    ),
    raw_path: '',
    raw_query: u.search.replace(/^\?/, ''),
    fragment: decodeURIComponent(u.hash.replace(/^#/, '')),
    raw_fragment: '',
  }
  if (u.username !== '') {
    const user: VObject = { name: decodeURIComponent(u.username) }
    if (u.password !== '') user.password = decodeURIComponent(u.password)
    out.user = user
  }
  return out
}

/** encoding/csv reader with header row handling. */
function parseCSV(s: string, header: boolean, delim: string, lazy: boolean): Value {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let i = 0
  let inQuotes = false
  let fieldStart = true
  while (i < s.length) {
    const c = s[i] as string
    if (inQuotes) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        inQuotes = false
        i++
        continue
      }
      field += c
      i++
      continue
    }
    if (c === '"' && fieldStart) {
      inQuotes = true
      fieldStart = false
      i++
      continue
    }
    if (c === delim) {
      row.push(field)
      field = ''
      fieldStart = true
      i++
      continue
    }
    if (c === '\n' || (c === '\r' && s[i + 1] === '\n')) {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      fieldStart = true
      i += c === '\r' ? 2 : 1
      continue
    }
    if (c === '"' && !lazy)
      throw plainErr(
        `parse error on line ${rows.length + 1}, column ${row.join(delim).length + field.length + 2}: bare " in non-quoted-field`,
      )
    field += c
    fieldStart = false
    i++
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  const nonEmpty = rows.filter((r) => !(r.length === 1 && r[0] === ''))
  if (!header) return nonEmpty
  const [head, ...body] = nonEmpty
  if (head === undefined) return []
  return body.map((r) => {
    const o: VObject = {}
    head.forEach((h, idx) => {
      o[h] = r[idx] ?? ''
    })
    return o
  })
}

export const encodingMethods: MethodSpec[] = [
  simpleMethod('encode', { params: [{ name: 'scheme', type: 'string' }] }, (a) => {
    const scheme = a.string('scheme')
    encode(scheme, new Uint8Array(0))
    return (v) => encode(scheme, getBytes(v))
  }),
  simpleMethod('decode', { params: [{ name: 'scheme', type: 'string' }] }, (a) => {
    const scheme = a.string('scheme')
    return (v) => decode(scheme, getString(v))
  }),
  simpleMethod(
    'hash',
    {
      params: [
        { name: 'algorithm', type: 'string' },
        { name: 'key', type: 'string', optional: true },
        { name: 'polynomial', type: 'string', default: 'IEEE' },
      ],
    },
    (a) => {
      const algo = a.string('algorithm')
      const key = a.optString('key')
      const poly = a.string('polynomial')
      return (v) => hash(algo, key, poly, getBytes(v))
    },
  ),
  simpleMethod(
    'format_json',
    {
      params: [
        { name: 'indent', type: 'string', default: '    ' },
        { name: 'no_indent', type: 'bool', default: false },
        { name: 'escape_html', type: 'bool', default: true },
      ],
    },
    (a) => {
      const indent = a.string('indent')
      const noIndent = a.bool('no_indent')
      const html = a.bool('escape_html')
      return (v) => {
        const s = noIndent || indent === '' ? encodeJSON(v, html) : encodeJSONIndent(v, indent, html)
        return stringToBytes(s)
      }
    },
  ),
  simpleMethod('parse_json', { params: [{ name: 'use_number', type: 'bool', optional: true }] }, (a) => {
    const useNumber = a.optBool('use_number') ?? false
    return (v) => {
      const s = getString(v)
      let parsed: Value
      try {
        parsed = parseJSON(s)
      } catch (e) {
        throw wrapErr('failed to parse value as JSON', toQueryError(e))
      }
      // Without use_number Go decodes every number as float64.
      return useNumber ? parsed : numbersToFloat(parsed)
    }
  }),
  simpleMethod('parse_url', {}, () => (v) => parseURL(getString(v))),
  simpleMethod(
    'parse_csv',
    {
      params: [
        { name: 'parse_header_row', type: 'bool', default: true },
        { name: 'delimiter', type: 'string', default: ',' },
        { name: 'lazy_quotes', type: 'bool', default: false },
      ],
    },
    (a) => {
      const header = a.bool('parse_header_row')
      const delim = a.string('delimiter')
      if (Array.from(delim).length !== 1) throw plainErr('delimiter value should be exactly one character')
      const lazy = a.bool('lazy_quotes')
      return (v) => parseCSV(getString(v), header, delim, lazy)
    },
  ),
]

function numbersToFloat(v: Value): Value {
  if (typeof v === 'number') return float64(v)
  if (v instanceof Num) return float64(getNumber(v))
  if (Array.isArray(v)) return v.map(numbersToFloat)
  if (isObject(v)) {
    const out: VObject = {}
    for (const k of Object.keys(v)) setKey(out, k, numbersToFloat(v[k] as Value))
    return out
  }
  return v
}

export { bytesToString }
