// Parsing, encoding and hashing methods.

import { createHash, createHmac } from 'node:crypto'
import { plainErr, toQueryError, typeError, wrapErr } from '../errors.ts'
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
  parseJSONFirst,
  setKey,
  stringToBytes,
  type Value,
  type VObject,
} from '../value.ts'
import { parseURL } from './url.ts'

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
    case 'z85':
      return z85(b)
    default:
      throw plainErr(`unrecognized encoding type: ${scheme}`)
  }
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#'

function z85(b: Uint8Array): string {
  if (b.length % 4 !== 0) throw plainErr('z85: wrongly aligned input data')
  let out = ''
  for (let i = 0; i < b.length; i += 4) {
    let v =
      (((b[i] as number) << 24) |
        ((b[i + 1] as number) << 16) |
        ((b[i + 2] as number) << 8) |
        (b[i + 3] as number)) >>>
      0
    let chunk = ''
    for (let k = 0; k < 5; k++) {
      chunk = Z85[v % 85] + chunk
      v = Math.floor(v / 85)
    }
    out += chunk
  }
  return out
}

/** encoding/ascii85 decoding (whitespace skipped, `z` for four zero bytes, short final group). */
function ascii85Decode(s: string): Uint8Array {
  const out: number[] = []
  let v = 0
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0b || c === 0x0c) continue
    if (c === 0x7a && n === 0) {
      out.push(0, 0, 0, 0)
      continue
    }
    if (c < 0x21 || c > 0x75) throw plainErr(`illegal ascii85 data at input byte ${i}`)
    v = v * 85 + (c - 33)
    n++
    if (n === 5) {
      out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255)
      v = 0
      n = 0
    }
  }
  if (n > 0) {
    if (n === 1) throw plainErr('unexpected EOF')
    for (let k = n; k < 5; k++) v = v * 85 + 84
    const bytes = [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]
    out.push(...bytes.slice(0, n - 1))
  }
  return new Uint8Array(out)
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
        // Go reads through a streaming decoder: whole 4-byte groups are checked first, and a
        // short group at the end is an unexpected EOF.
        const full = s.length - (s.length % 4)
        const head = s.slice(0, full)
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(head) || (full < s.length && head.includes('='))) {
          throw plainErr(`illegal base64 data at input byte ${badB64Index(head, /[A-Za-z0-9+/]/)}`)
        }
        throw plainErr('unexpected EOF')
      }
      return new Uint8Array(Buffer.from(s, 'base64'))
    }
    case 'base64url':
    case 'base64rawurl':
      return new Uint8Array(Buffer.from(s, 'base64url'))
    case 'hex': {
      if (!/^([0-9a-fA-F]{2})*$/.test(s)) {
        if (s.length % 2 === 1 && /^[0-9a-fA-F]*$/.test(s)) throw plainErr('unexpected EOF')
        const i = s.search(/[^0-9a-fA-F]/)
        throw plainErr(
          `encoding/hex: invalid byte: U+${(s.codePointAt(i) ?? 0).toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(s[i]).replace(/"/g, "'")}`,
        )
      }
      return new Uint8Array(Buffer.from(s, 'hex'))
    }
    case 'ascii85':
      return ascii85Decode(s)
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

const P1 = 11400714785074694791n
const P2 = 14029467366897019727n
const P3 = 1609587929392839161n
const P4 = 9650029242287828579n
const P5 = 2870177450012600261n
const M64 = 0xffffffffffffffffn

function rotl64(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & M64
}

function xxRound(acc: bigint, lane: bigint): bigint {
  return (rotl64((acc + lane * P2) & M64, 31n) * P1) & M64
}

function xxMerge(acc: bigint, v: bigint): bigint {
  return ((((acc ^ xxRound(0n, v)) * P1) & M64) + P4) & M64
}

/** XXH64 with seed 0 (not a hot path: BigInt arithmetic is fine). */
function xxhash64(b: Uint8Array): bigint {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const n = b.length
  let i = 0
  let h: bigint
  if (n >= 32) {
    let v1 = (P1 + P2) & M64
    let v2 = P2
    let v3 = 0n
    let v4 = (M64 + 1n - P1) & M64
    for (; i + 32 <= n; i += 32) {
      v1 = xxRound(v1, view.getBigUint64(i, true))
      v2 = xxRound(v2, view.getBigUint64(i + 8, true))
      v3 = xxRound(v3, view.getBigUint64(i + 16, true))
      v4 = xxRound(v4, view.getBigUint64(i + 24, true))
    }
    h = (rotl64(v1, 1n) + rotl64(v2, 7n) + rotl64(v3, 12n) + rotl64(v4, 18n)) & M64
    h = xxMerge(h, v1)
    h = xxMerge(h, v2)
    h = xxMerge(h, v3)
    h = xxMerge(h, v4)
  } else h = P5
  h = (h + BigInt(n)) & M64
  for (; i + 8 <= n; i += 8) {
    h ^= xxRound(0n, view.getBigUint64(i, true))
    h = (rotl64(h, 27n) * P1 + P4) & M64
  }
  if (i + 4 <= n) {
    h ^= (BigInt(view.getUint32(i, true)) * P1) & M64
    h = (rotl64(h, 23n) * P2 + P3) & M64
    i += 4
  }
  for (; i < n; i++) {
    h ^= (BigInt(b[i] as number) * P5) & M64
    h = (rotl64(h, 11n) * P1) & M64
  }
  h ^= h >> 33n
  h = (h * P2) & M64
  h ^= h >> 29n
  h = (h * P3) & M64
  h ^= h >> 32n
  return h
}

const HASH_ALGOS = new Set([
  'hmac_sha1',
  'hmac-sha1',
  'hmac_sha256',
  'hmac-sha256',
  'hmac_sha512',
  'hmac-sha512',
  'md5',
  'sha1',
  'sha256',
  'sha512',
  'crc32',
  'fnv32',
  'xxhash64',
])

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
      // FNV-1 (multiply, then xor); Bento returns the sum as decimal digits.
      let h = 0x811c9dc5
      for (const x of b) h = (Math.imul(h, 0x01000193) ^ x) >>> 0
      return stringToBytes(String(h))
    }
    case 'xxhash64':
      return stringToBytes(xxhash64(b).toString())
    default:
      throw plainErr(`unrecognized hash type: ${algo}`)
  }
}

/** encoding/csv reader with header row handling. */
function parseCSV(s: string, header: boolean, delim: string, lazy: boolean): Value {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let i = 0
  let inQuotes = false
  let fieldStart = true
  // Physical line numbers (Go counts blank lines and newlines inside quotes too); like
  // encoding/csv with FieldsPerRecord 0, every record needs the first record's field count.
  let line = 1
  let recLine = 1
  let fields = -1
  const endRecord = (): void => {
    if (!(row.length === 1 && row[0] === '')) {
      if (fields === -1) fields = row.length
      else if (row.length !== fields) throw plainErr(`record on line ${recLine}: wrong number of fields`)
    }
    rows.push(row)
  }
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
      if (c === '\n') line++
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
      endRecord()
      row = []
      field = ''
      fieldStart = true
      i += c === '\r' ? 2 : 1
      recLine = ++line
      continue
    }
    if (c === '"' && !lazy)
      throw plainErr(
        `parse error on line ${line}, column ${row.join(delim).length + field.length + 2}: bare " in non-quoted-field`,
      )
    field += c
    fieldStart = false
    i++
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    endRecord()
  }
  const nonEmpty = rows.filter((r) => !(r.length === 1 && r[0] === ''))
  if (nonEmpty.length === 0) throw plainErr('zero records were parsed')
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
    return (v) => {
      if (typeof v !== 'string' && !(v instanceof Uint8Array)) throw typeError(v, ['string'])
      return encode(scheme, getBytes(v))
    }
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
      if (!HASH_ALGOS.has(algo)) throw plainErr(`unrecognized hash type: ${algo}`)
      if (algo.startsWith('hmac') && key === undefined) {
        throw plainErr(`hash algorithm ${algo} requires a key argument`)
      }
      return (v) => {
        if (typeof v !== 'string' && !(v instanceof Uint8Array)) throw typeError(v, ['string'])
        return hash(algo, key, poly, getBytes(v))
      }
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
      } catch {
        // json.Decoder.Decode: the first value only, trailing text ignored.
        try {
          parsed = parseJSONFirst(s)
        } catch (e) {
          throw wrapErr('failed to parse value as JSON', toQueryError(e))
        }
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
