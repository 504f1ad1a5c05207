// Methods outside the core set: replacements, slugs, HTML stripping, file paths, password hashes,
// AES, compression, form and decimal parsing, splitting and zipping, dynamic mappings, JSON path
// and schema, MessagePack, GeoIP, changelogs and Parquet.
//
// Heavy libraries load on first use (createRequire), so a mapping that never calls them pays
// nothing at start-up.

import {
  argon2Sync,
  type CipherGCMTypes,
  createCipheriv,
  createDecipheriv,
  timingSafeEqual,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { posix } from 'node:path'
import {
  deflateRawSync,
  deflateSync,
  gunzipSync,
  gzipSync,
  inflateRawSync,
  inflateSync,
  constants as zlibConstants,
  zstdCompressSync,
  zstdDecompressSync,
} from 'node:zlib'
import { plainErr, toQueryError, typeError, wrapErr } from '../errors.ts'
import type { MappingExecutor } from '../mapping.ts'
import { errorMessage, parseMapping } from '../parser.ts'
import { type Ctx, closure, withValue } from '../query.ts'
import { type Args, Environment, type MethodSpec, pluginMethod, simpleMethod } from '../registry.ts'
import {
  bytesToString,
  compareValues,
  encodeJSON,
  float64,
  getBytes,
  getKey,
  getNumber,
  getString,
  goQuote,
  int64,
  isObject,
  Num,
  parseJSON,
  setKey,
  sortedKeys,
  stringToBytes,
  Timestamp,
  uint64,
  type Value,
  type VObject,
} from '../value.ts'
import { readParquetSync } from './parquet-worker.ts'

// Each `require` names its module literally: a bundler (the plugin's single executable) can then
// include the module and still evaluate it only on first use. Under Node it is createRequire's.
const require = createRequire(import.meta.url)
const lazy = <T>(load: () => unknown): (() => T) => {
  let mod: T | undefined
  return () => {
    mod ??= load() as T
    return mod
  }
}

// ---------------------------------------------------------------------------------------------
// Strings

function replaceMany(name: string): MethodSpec {
  return simpleMethod(name, { params: [{ name: 'values', type: 'array' }] }, (a) => {
    const items = a.value('values') as Value[]
    if (items.length % 2 !== 0) {
      throw plainErr(
        `invalid arg, replacements should be in pairs and must therefore be even: [${items.map(goPrint).join(' ')}]`,
      )
    }
    const pairs: [string, string][] = []
    for (let i = 0; i < items.length; i += 2) {
      let from: string
      let to: string
      try {
        from = getString(items[i])
      } catch (e) {
        throw wrapErr(`invalid replacement value at index ${i}`, e)
      }
      try {
        to = getString(items[i + 1])
      } catch (e) {
        throw wrapErr(`invalid replacement value at index ${i + 1}`, e)
      }
      pairs.push([from, to])
    }
    const run = (s: string): string => {
      for (const [from, to] of pairs)
        s = from === '' ? `${to}${Array.from(s).join(to)}${to}` : s.split(from).join(to)
      return s
    }
    return (v) => {
      if (typeof v === 'string') return run(v)
      if (v instanceof Uint8Array) return stringToBytes(run(bytesToString(v)))
      throw typeError(v, ['string'])
    }
  })
}

/** fmt's %v for the values an argument error prints. */
function goPrint(v: Value | undefined): string {
  if (typeof v === 'string') return v
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`
  if (isObject(v))
    return `map[${sortedKeys(v)
      .map((k) => `${k}:${goPrint(v[k])}`)
      .join(' ')}]`
  if (v === null || v === undefined) return '<nil>'
  return typeof v === 'number' ? String(v) : encodeJSON(v, false)
}

/**
 * gosimple/slug's per-language substitutions (applied before transliteration); `&` and `@`
 * become words, as the library does for each of its languages.
 */
const SLUG_SUBS: Record<string, Record<string, string>> = {
  en: { '&': 'and', '@': 'at' },
  de: { '&': 'und', '@': 'an', ä: 'ae', Ä: 'Ae', ö: 'oe', Ö: 'Oe', ü: 'ue', Ü: 'Ue' },
  fr: { '&': 'et', '@': 'arobase' },
  es: { '&': 'y', '@': 'en' },
  it: { '&': 'e', '@': 'chiocciola' },
  nl: { '&': 'en', '@': 'at' },
  pl: { '&': 'i', '@': 'na' },
  sv: { '&': 'och', '@': 'snabel a' },
  fi: { '&': 'ja', '@': 'at' },
  gr: { '&': 'kai', '@': 'at' },
  cs: { '&': 'a', '@': 'zavinac' },
  hu: { '&': 'es', '@': 'kukac' },
  kk: { '&': 'jane', '@': 'at' },
  tr: { '&': 've', '@': 'et' },
}

function slug(s: string, lang: string): string {
  const subs = SLUG_SUBS[lang] ?? SLUG_SUBS.en
  let out = ''
  for (const ch of s) {
    const sub = subs?.[ch]
    out += sub === undefined ? ch : ch === '&' || ch === '@' ? ` ${sub} ` : sub
  }
  // Transliterate with slugify's character map only, then gosimple's own rules: lower case,
  // apostrophes dropped, anything but [a-z0-9_-] a dash, dashes collapsed and trimmed.
  const slugify = lazy<(s: string, o: object) => string>(() => require('slugify'))()
  out = slugify(out, {
    replacement: ' ',
    remove: /(?!)/,
    lower: false,
    strict: false,
    trim: false,
    locale: lang,
  })
  return out
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
}

type SanitizeHtml = (html: string, opts: object) => string

/** bluemonday keeps an element without attributes only when HTML allows it bare. */
const BARE_ELEMENTS = new Set(
  'abbr acronym address article aside audio b bdi blockquote body br button canvas caption center cite code col colgroup datalist dd del details dfn div dl dt em fieldset figcaption figure footer h1 h2 h3 h4 h5 h6 head header hgroup hr html i ins kbd li mark marquee nav ol optgroup option p picture pre q rp rt ruby s samp script section select small span strike strong style sub summary sup svg table tbody td textarea tfoot th thead title time tr tt u ul var video wbr'.split(
    ' ',
  ),
)

function stripHTML(preserve: string[]): (s: string) => string {
  const sanitize = lazy<SanitizeHtml>(() => require('sanitize-html'))
  const opts = {
    allowedTags: preserve.map((t) => t.toLowerCase()).filter((t) => BARE_ELEMENTS.has(t)),
    allowedAttributes: {},
    disallowedTagsMode: 'discard',
    // bluemonday drops the content of these elements entirely.
    nonTextTags: [
      'frame',
      'frameset',
      'iframe',
      'noembed',
      'noframes',
      'noscript',
      'nostyle',
      'object',
      'script',
      'style',
      'title',
    ],
  }
  return (s) => sanitize()(s, opts)
}

// ---------------------------------------------------------------------------------------------
// Passwords and AES

interface Bcrypt {
  compareSync(s: string, hash: string): boolean
  getRounds(hash: string): number
}

function compareBcrypt(source: string, hash: string): boolean {
  const bcrypt = lazy<Bcrypt>(() => require('bcryptjs'))()
  if (!/^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
    if (hash.length < 59) throw plainErr('crypto/bcrypt: hashedSecret too short to be a bcrypted password')
    throw plainErr('crypto/bcrypt: bcrypt hashes must start with $2')
  }
  return bcrypt.compareSync(source, hash.replace(/^\$2[xy]\$/, '$2b$'))
}

const INVALID_ARGON2 = 'invalid argon2 hash'

function compareArgon2(source: string, hash: string): boolean {
  if (source === '') return false
  const parts = hash.split('$')
  if (parts.length !== 6) throw plainErr(INVALID_ARGON2)
  const format = parts[1] as string
  if (format !== 'argon2i' && format !== 'argon2id')
    throw plainErr(`${INVALID_ARGON2}: unrecognised argon2 format`)
  if (!/^v=\S+/.test(parts[2] as string)) throw plainErr(`${INVALID_ARGON2}: failed to parse version`)
  const params = /^m=(\d+),t=(\d+),p=(\d+)$/.exec(parts[3] as string)
  if (params === null) throw plainErr(`${INVALID_ARGON2}: failed to parse parameters`)
  const b64 = (s: string, what: string): Buffer => {
    if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1)
      throw plainErr(`${INVALID_ARGON2}: failed to parse base64 ${what}`)
    return Buffer.from(s, 'base64')
  }
  const salt = b64(parts[4] as string, 'salt')
  const key = b64(parts[5] as string, 'key')
  const got = argon2Sync(format, {
    message: source,
    nonce: salt,
    parallelism: Number(params[3]),
    tagLength: key.length,
    memory: Number(params[1]),
    passes: Number(params[2]),
  })
  return got.length === key.length && timingSafeEqual(got, key)
}

/** A string argument read as raw bytes (a `.decode("hex")` key keeps its bytes). */
function rawBytesArg(a: Args, name: string): Buffer {
  const v = a.value(name)
  if (typeof v === 'string') return Buffer.from(v, 'utf8')
  if (v instanceof Uint8Array) return Buffer.from(v)
  throw wrapErr(`field ${name}`, typeError(v, ['string']))
}

function aesMethod(name: string, encrypt: boolean): MethodSpec {
  return simpleMethod(
    name,
    {
      params: [
        { name: 'scheme', type: 'string' },
        { name: 'key', type: 'unknown' },
        { name: 'iv', type: 'unknown' },
      ],
    },
    (a) => {
      const scheme = a.string('scheme')
      const key = rawBytesArg(a, 'key')
      if (key.length !== 16 && key.length !== 24 && key.length !== 32)
        throw plainErr(`crypto/aes: invalid key size ${key.length}`)
      const iv = rawBytesArg(a, 'iv')
      const bits = key.length * 8
      if ((scheme === 'ctr' || scheme === 'ofb' || scheme === 'cbc') && iv.length !== 16)
        throw plainErr('the key must match the initialisation vector size')
      let run: (b: Buffer) => Uint8Array
      switch (scheme) {
        case 'ctr':
        case 'ofb':
          run = (b) => {
            const c = (encrypt ? createCipheriv : createDecipheriv)(`aes-${bits}-${scheme}`, key, iv)
            return new Uint8Array(Buffer.concat([c.update(b), c.final()]))
          }
          break
        case 'cbc':
          run = (b) => {
            if (b.length % 16 !== 0)
              throw plainErr(`${encrypt ? 'plaintext' : 'ciphertext'} is not a multiple of the block size`)
            const c = (encrypt ? createCipheriv : createDecipheriv)(`aes-${bits}-cbc`, key, iv)
            c.setAutoPadding(false)
            return new Uint8Array(Buffer.concat([c.update(b), c.final()]))
          }
          break
        case 'gcm':
          run = (b) => {
            if (iv.length === 0) throw plainErr('crypto/cipher: incorrect nonce length given to GCM')
            if (encrypt) {
              const c = createCipheriv(`aes-${bits}-gcm` as CipherGCMTypes, key, iv)
              return new Uint8Array(Buffer.concat([c.update(b), c.final(), c.getAuthTag()]))
            }
            if (b.length < 16) throw plainErr('gcm decrypting failed: cipher: message authentication failed')
            const d = createDecipheriv(`aes-${bits}-gcm` as CipherGCMTypes, key, iv)
            d.setAuthTag(b.subarray(b.length - 16))
            try {
              return new Uint8Array(Buffer.concat([d.update(b.subarray(0, b.length - 16)), d.final()]))
            } catch {
              throw plainErr('gcm decrypting failed: cipher: message authentication failed')
            }
          }
          break
        default:
          throw plainErr(`unrecognized ${encrypt ? 'encryption' : 'decryption'} type: ${scheme}`)
      }
      return (v) => {
        if (typeof v === 'string') return run(Buffer.from(v, 'utf8'))
        if (v instanceof Uint8Array) return run(Buffer.from(v))
        throw typeError(v, ['string'])
      }
    },
  )
}

// ---------------------------------------------------------------------------------------------
// Compression

interface Lz4js {
  compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number
  decompress(src: Uint8Array, maxSize?: number): Uint8Array
  compressBound(n: number): number
}
interface Xxh32 {
  hash(seed: number, src: Uint8Array, index: number, len: number): number
}
interface Snappy {
  compress(b: Uint8Array): Uint8Array
  uncompress(b: Uint8Array): Uint8Array
}
interface Bzip2 {
  decode(b: Buffer): Buffer
}

const lz4js = lazy<Lz4js>(() => require('lz4js'))
const xxh32 = lazy<Xxh32>(() => require('lz4js/xxh32.js'))
const snappyjs = lazy<Snappy>(() => require('snappyjs'))
const bzip2 = lazy<Bzip2>(() => require('seek-bzip'))

const LZ4_BLOCK = 4 << 20

function writeU32(out: number[], v: number): void {
  out.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255)
}

/**
 * An LZ4 frame laid out like pierrec/lz4's writer: independent 4 MiB blocks, content checksum,
 * no block checksums, stored blocks where compression does not pay.
 */
function lz4Frame(src: Uint8Array): Uint8Array {
  const head = [0x04, 0x22, 0x4d, 0x18, 0x64, 0x70]
  const desc = new Uint8Array([0x64, 0x70])
  head.push((xxh32().hash(0, desc, 0, 2) >>> 8) & 255)
  const chunks: Uint8Array[] = [new Uint8Array(head)]
  for (let off = 0; off < src.length; off += LZ4_BLOCK) {
    const n = Math.min(LZ4_BLOCK, src.length - off)
    const dst = new Uint8Array(lz4js().compressBound(n))
    const size = lz4js().compressBlock(src, dst, off, n, new Uint32Array(1 << 16))
    const len: number[] = []
    if (size === 0 || size >= n) {
      writeU32(len, (0x80000000 | n) >>> 0)
      chunks.push(new Uint8Array(len), src.subarray(off, off + n))
    } else {
      writeU32(len, size)
      chunks.push(new Uint8Array(len), dst.subarray(0, size))
    }
  }
  const tail: number[] = [0, 0, 0, 0]
  writeU32(tail, xxh32().hash(0, src, 0, src.length) >>> 0)
  chunks.push(new Uint8Array(tail))
  return new Uint8Array(Buffer.concat(chunks))
}

function zlibLevel(level: number): number {
  return level < -1 || level > 9 ? zlibConstants.Z_DEFAULT_COMPRESSION : level
}

const COMPRESSORS: Record<string, (level: number, b: Uint8Array) => Uint8Array> = {
  gzip: (level, b) => gzipSync(b, { level: zlibLevel(level) }),
  pgzip: (level, b) => gzipSync(b, { level: zlibLevel(level) }),
  zlib: (level, b) => deflateSync(b, { level: zlibLevel(level) }),
  flate: (level, b) => deflateRawSync(b, { level: zlibLevel(level) }),
  lz4: (_level, b) => lz4Frame(b),
  snappy: (_level, b) => snappyjs().compress(b),
  zstd: (_level, b) => zstdCompressSync(b),
}

function inflateErr(alg: string): (e: unknown) => never {
  return () => {
    throw plainErr(alg === 'flate' ? 'flate: corrupt input before offset 0' : `${alg}: invalid header`)
  }
}

const DECOMPRESSORS: Record<string, (b: Uint8Array) => Uint8Array> = {
  gzip: (b) => gunzipOr(b, 'gzip'),
  pgzip: (b) => gunzipOr(b, 'gzip'),
  zlib: (b) => {
    try {
      return inflateSync(b)
    } catch (e) {
      return inflateErr('zlib')(e)
    }
  },
  flate: (b) => {
    try {
      return inflateRawSync(b)
    } catch (e) {
      return inflateErr('flate')(e)
    }
  },
  bzip2: (b) => {
    try {
      return new Uint8Array(bzip2().decode(Buffer.from(b)))
    } catch {
      throw plainErr('bzip2 data invalid: bad magic value')
    }
  },
  lz4: (b) => {
    try {
      return lz4js().decompress(b)
    } catch {
      throw plainErr('lz4: bad magic number')
    }
  },
  snappy: (b) => {
    try {
      return snappyjs().uncompress(b)
    } catch {
      throw plainErr('snappy: corrupt input')
    }
  },
  zstd: (b) => {
    try {
      return zstdDecompressSync(b)
    } catch {
      throw plainErr('invalid input: magic number mismatch')
    }
  },
}

function gunzipOr(b: Uint8Array, alg: string): Uint8Array {
  // The 10-byte header is read first: shorter input ends early.
  if (b.length < 10) throw plainErr('unexpected EOF')
  try {
    return gunzipSync(b)
  } catch (e) {
    return inflateErr(alg)(e)
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing helpers

/** Go's url.ParseQuery into Bento's object (one value: string, several: array). */
function parseFormURLEncoded(s: string): VObject {
  const values = new Map<string, string[]>()
  let firstErr: string | null = null
  for (const part of s.split('&')) {
    if (part === '') continue
    if (part.includes(';')) {
      firstErr ??= 'invalid semicolon separator in query'
      continue
    }
    const eq = part.indexOf('=')
    const rawK = eq === -1 ? part : part.slice(0, eq)
    const rawV = eq === -1 ? '' : part.slice(eq + 1)
    const k = queryUnescape(rawK)
    const v = queryUnescape(rawV)
    if (k === null || v === null) {
      firstErr ??= `invalid URL escape ${goQuoteEscape(k === null ? rawK : rawV)}`
      continue
    }
    const list = values.get(k)
    if (list === undefined) values.set(k, [v])
    else list.push(v)
  }
  if (firstErr !== null) throw wrapErr('failed to parse value as url-encoded data', plainErr(firstErr))
  const out: VObject = {}
  for (const [k, list] of values) setKey(out, k, list.length === 1 ? (list[0] as string) : list)
  return out
}

function goQuoteEscape(s: string): string {
  const i = s.indexOf('%')
  return JSON.stringify(s.slice(i, i + 3))
}

function queryUnescape(s: string): string | null {
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string
    if (c === '+') bytes.push(32)
    else if (c === '%') {
      const h = s.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return null
      bytes.push(Number.parseInt(h, 16))
      i += 2
    } else for (const b of stringToBytes(c)) bytes.push(b)
  }
  return bytesToString(new Uint8Array(bytes))
}

function bigDecimal(b: Uint8Array, scale: number): string {
  if (b.length === 0) throw plainErr('cannot parse empty bytes as big decimal')
  let n = BigInt(`0x${Buffer.from(b).toString('hex')}`)
  if ((b[0] as number) & 0x80) n -= 1n << BigInt(b.length * 8)
  if (scale === 0) return n.toString()
  const neg = n < 0n
  const digits = (neg ? -n : n).toString().padStart(scale + 1, '0')
  return `${neg ? '-' : ''}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`
}

// ---------------------------------------------------------------------------------------------
// MessagePack (vmihailenko/msgpack semantics: compact ints, float64 floats, string keys)

function msgpackEncode(v: Value): Uint8Array {
  const out: number[] = []
  const buf8 = new DataView(new ArrayBuffer(8))
  const pushBytes = (n: number): void => {
    for (let i = 0; i < n; i++) out.push(buf8.getUint8(i))
  }
  const uint = (n: bigint): void => {
    if (n < 128n) out.push(Number(n))
    else if (n < 256n) out.push(0xcc, Number(n))
    else if (n < 65536n) out.push(0xcd, Number(n >> 8n), Number(n & 255n))
    else if (n < 4294967296n) {
      buf8.setUint32(0, Number(n))
      out.push(0xce)
      pushBytes(4)
    } else {
      buf8.setBigUint64(0, n)
      out.push(0xcf)
      pushBytes(8)
    }
  }
  const int = (n: bigint): void => {
    if (n >= 0n) uint(n)
    else if (n >= -32n) out.push(Number(n) & 255)
    else if (n >= -128n) out.push(0xd0, Number(n) & 255)
    else if (n >= -32768n) {
      buf8.setInt16(0, Number(n))
      out.push(0xd1)
      pushBytes(2)
    } else if (n >= -2147483648n) {
      buf8.setInt32(0, Number(n))
      out.push(0xd2)
      pushBytes(4)
    } else {
      buf8.setBigInt64(0, n)
      out.push(0xd3)
      pushBytes(8)
    }
  }
  const f64 = (f: number): void => {
    buf8.setFloat64(0, f)
    out.push(0xcb)
    pushBytes(8)
  }
  const len = (n: number, fix: number, fixMax: number, c8: number | null, c16: number, c32: number): void => {
    if (n <= fixMax) out.push(fix | n)
    else if (c8 !== null && n < 256) out.push(c8, n)
    else if (n < 65536) out.push(c16, n >> 8, n & 255)
    else {
      buf8.setUint32(0, n)
      out.push(c32)
      pushBytes(4)
    }
  }
  const str = (s: string): void => {
    const b = stringToBytes(s)
    len(b.length, 0xa0, 31, 0xd9, 0xda, 0xdb)
    for (const x of b) out.push(x)
  }
  const enc = (x: Value | undefined): void => {
    if (x === null || x === undefined || typeof x === 'symbol') out.push(0xc0)
    else if (typeof x === 'boolean') out.push(x ? 0xc3 : 0xc2)
    else if (typeof x === 'string') str(x)
    else if (typeof x === 'number') {
      if (Number.isInteger(x)) int(BigInt(x))
      else f64(x)
    } else if (x instanceof Num) {
      if (x.kind === 'int') int(x.big)
      else if (x.kind === 'uint') uint(x.big)
      else if (x.kind === 'float') {
        if (x.text === 'float32') {
          buf8.setFloat32(0, x.f)
          out.push(0xca)
          pushBytes(4)
        } else f64(x.f)
      } else if (/^-?\d+$/.test(x.text) && BigInt(x.text) >= -(2n ** 63n) && BigInt(x.text) < 2n ** 64n) {
        int(BigInt(x.text))
      } else {
        const f = Number(x.text)
        if (Number.isNaN(f)) throw plainErr(`unable to parse ${x.text} neither as int nor as float`)
        f64(f)
      }
    } else if (x instanceof Uint8Array) {
      len(x.length, 0, -1, 0xc4, 0xc5, 0xc6)
      for (const b of x) out.push(b)
    } else if (x instanceof Timestamp) {
      // msgpack timestamp extension (-1), 96-bit form.
      out.push(0xc7, 12, 0xff)
      buf8.setUint32(0, x.nsec)
      pushBytes(4)
      buf8.setBigInt64(0, BigInt(x.sec))
      pushBytes(8)
    } else if (Array.isArray(x)) {
      len(x.length, 0x90, 15, null, 0xdc, 0xdd)
      for (const e of x) enc(e)
    } else {
      const keys = sortedKeys(x)
      len(keys.length, 0x80, 15, null, 0xde, 0xdf)
      for (const k of keys) {
        str(k)
        enc(x[k])
      }
    }
  }
  enc(v)
  return new Uint8Array(out)
}

class MsgpackEOF {}

/** vmihailenko/msgpack's Unmarshal into `any`: ints stay ints, floats floats, bin is bytes. */
function parseMsgpack(b: Uint8Array): Value {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let i = 0
  const need = (n: number): void => {
    if (i + n > b.length) throw new MsgpackEOF()
  }
  const u8 = (): number => {
    need(1)
    return b[i++] as number
  }
  const take = (n: number): Uint8Array => {
    need(n)
    const out = b.subarray(i, i + n)
    i += n
    return out
  }
  const num = (n: 1 | 2 | 4 | 8, signed: boolean): Value => {
    need(n)
    let v: number | bigint
    if (n === 1) v = signed ? view.getInt8(i) : view.getUint8(i)
    else if (n === 2) v = signed ? view.getInt16(i) : view.getUint16(i)
    else if (n === 4) v = signed ? view.getInt32(i) : view.getUint32(i)
    else v = signed ? view.getBigInt64(i) : view.getBigUint64(i)
    i += n
    if (typeof v === 'number') return v
    return signed || v <= 0x7fffffffffffffffn ? int64(v) : uint64(v)
  }
  const str = (n: number): string => bytesToString(take(n))
  const arr = (n: number): Value[] => {
    const out: Value[] = []
    for (let k = 0; k < n; k++) out.push(value())
    return out
  }
  const map = (n: number): VObject => {
    const out: VObject = {}
    for (let k = 0; k < n; k++) {
      const key = value()
      setKey(out, typeof key === 'string' ? key : getStringish(key), value())
    }
    return out
  }
  const ext = (n: number): Value => {
    need(1)
    const type = view.getInt8(i++)
    const data = take(n)
    if (type === -1) {
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
      if (n === 4) return new Timestamp(dv.getUint32(0), 0, 0, 'Local')
      if (n === 8) {
        const hi = dv.getUint32(0)
        return new Timestamp(
          Number(((BigInt(hi) & 3n) << 32n) | BigInt(dv.getUint32(4))),
          hi >>> 2,
          0,
          'Local',
        )
      }
      if (n === 12) return new Timestamp(Number(dv.getBigInt64(4)), dv.getUint32(0), 0, 'Local')
    }
    throw plainErr(`msgpack: unknown ext id=${type}`)
  }
  const value = (): Value => {
    const c = u8()
    if (c <= 0x7f) return c
    if (c >= 0xe0) return c - 256
    if (c >= 0x80 && c <= 0x8f) return map(c & 0x0f)
    if (c >= 0x90 && c <= 0x9f) return arr(c & 0x0f)
    if (c >= 0xa0 && c <= 0xbf) return str(c & 0x1f)
    switch (c) {
      case 0xc0:
        return null
      case 0xc2:
        return false
      case 0xc3:
        return true
      case 0xc4:
        return take(u8()).slice()
      case 0xc5:
        return take(num(2, false) as number).slice()
      case 0xc6:
        return take(num(4, false) as number).slice()
      case 0xc7:
        return ext(u8())
      case 0xc8:
        return ext(num(2, false) as number)
      case 0xc9:
        return ext(num(4, false) as number)
      case 0xca: {
        need(4)
        const f = view.getFloat32(i)
        i += 4
        return new Num('float', 0n, f, 'float32')
      }
      case 0xcb: {
        need(8)
        const f = view.getFloat64(i)
        i += 8
        return float64(f)
      }
      case 0xcc:
        return num(1, false)
      case 0xcd:
        return num(2, false)
      case 0xce:
        return num(4, false)
      case 0xcf:
        return num(8, false)
      case 0xd0:
        return num(1, true)
      case 0xd1:
        return num(2, true)
      case 0xd2:
        return num(4, true)
      case 0xd3:
        return num(8, true)
      case 0xd4:
        return ext(1)
      case 0xd5:
        return ext(2)
      case 0xd6:
        return ext(4)
      case 0xd7:
        return ext(8)
      case 0xd8:
        return ext(16)
      case 0xd9:
        return str(u8())
      case 0xda:
        return str(num(2, false) as number)
      case 0xdb:
        return str(num(4, false) as number)
      case 0xdc:
        return arr(num(2, false) as number)
      case 0xdd:
        return arr(num(4, false) as number)
      case 0xde:
        return map(num(2, false) as number)
      case 0xdf:
        return map(num(4, false) as number)
    }
    throw plainErr(`msgpack: invalid code=${c.toString(16)} decoding interface{}`)
  }
  try {
    return value()
  } catch (e) {
    if (e instanceof MsgpackEOF) throw plainErr('EOF')
    throw e
  }
}

function getStringish(v: Value): string {
  return typeof v === 'number' ? String(v) : encodeJSON(v, false)
}

// ---------------------------------------------------------------------------------------------
// JSON path and JSON schema

interface JSONPathLib {
  JSONPath(opts: { path: string; json: unknown; wrap?: boolean; resultType?: string }): unknown[]
}
const jsonPathLib = lazy<JSONPathLib>(() => require('jsonpath-plus'))

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}
interface AjvValidate {
  (data: unknown): boolean
  errors?: AjvError[] | null
}
interface AjvClass {
  new (opts: object): { compile(schema: object): AjvValidate }
}
const ajvLib = lazy<{ default: AjvClass }>(() => require('ajv'))

function jsTypeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  if (typeof v === 'boolean') return 'boolean'
  return typeof v === 'object' ? 'object' : typeof v
}

/** Plain JSON data for validators: numbers as JS numbers, bytes as strings. */
function toPlain(v: Value | undefined): unknown {
  if (v instanceof Num) return getNumber(v)
  if (v instanceof Uint8Array) return bytesToString(v)
  if (v instanceof Timestamp) return getString(v)
  if (typeof v === 'symbol' || v === undefined) return null
  if (Array.isArray(v)) return v.map(toPlain)
  if (isObject(v)) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v)) out[k] = toPlain(v[k])
    return out
  }
  return v
}

function fromPlain(v: unknown): Value {
  if (v === null || v === undefined) return null
  if (typeof v === 'number') return Number.isInteger(v) ? v : float64(v)
  if (typeof v === 'string' || typeof v === 'boolean') return v
  if (Array.isArray(v)) return v.map(fromPlain)
  const out: VObject = {}
  for (const k of Object.keys(v as object)) setKey(out, k, fromPlain((v as Record<string, unknown>)[k]))
  return out
}

/** gojsonschema's field name: `(root)` or the dotted path. */
function schemaField(instancePath: string): string {
  const segs = instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
  return segs.length === 0 ? '(root)' : segs.join('.')
}

/** gojsonschema's English descriptions for the common keywords. */
function schemaError(e: AjvError, data: unknown): string {
  const p = e.params
  const at = (path: string): unknown => {
    let cur = data
    for (const s of path.split('/').slice(1))
      cur = (cur as Record<string, unknown>)?.[s.replaceAll('~1', '/').replaceAll('~0', '~')]
    return cur
  }
  switch (e.keyword) {
    case 'type': {
      const want = Array.isArray(p.type) ? (p.type as string[]).join('/') : String(p.type)
      return `${schemaField(e.instancePath)} invalid type. expected: ${want}, given: ${jsTypeName(at(e.instancePath))}`
    }
    case 'required':
      return `${schemaField(e.instancePath)} ${String(p.missingProperty)} is required`
    case 'enum':
      return `${schemaField(e.instancePath)} ${schemaField(e.instancePath)} must be one of the following: ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`
    case 'const':
      return `${schemaField(e.instancePath)} does not match: ${JSON.stringify(p.allowedValue)}`
    case 'minimum':
      return `${schemaField(e.instancePath)} must be greater than or equal to ${p.limit}`
    case 'maximum':
      return `${schemaField(e.instancePath)} must be less than or equal to ${p.limit}`
    case 'exclusiveMinimum':
      return `${schemaField(e.instancePath)} must be greater than ${p.limit}`
    case 'exclusiveMaximum':
      return `${schemaField(e.instancePath)} must be less than ${p.limit}`
    case 'minLength':
      return `${schemaField(e.instancePath)} string length must be greater than or equal to ${p.limit}`
    case 'maxLength':
      return `${schemaField(e.instancePath)} string length must be less than or equal to ${p.limit}`
    case 'pattern':
      return `${schemaField(e.instancePath)} does not match pattern '${p.pattern}'`
    case 'minItems':
      return `${schemaField(e.instancePath)} array must have at least ${p.limit} items`
    case 'maxItems':
      return `${schemaField(e.instancePath)} array must have at most ${p.limit} items`
    case 'additionalProperties':
      return `${schemaField(e.instancePath)} additional property ${String(p.additionalProperty)} is not allowed`
    case 'multipleOf':
      return `${schemaField(e.instancePath)} must be a multiple of ${p.multipleOf}`
    default:
      return `${schemaField(e.instancePath)} ${(e.message ?? e.keyword).toLowerCase()}`
  }
}

// ---------------------------------------------------------------------------------------------
// GeoIP

interface MmdbReader {
  get(ip: string): unknown
}
const mmdbLib = lazy<{ Reader: new (b: Buffer) => MmdbReader }>(() => require('mmdb-lib'))

function geoipMethod(name: string): MethodSpec {
  return simpleMethod(name, { impure: true, params: [{ name: 'path', type: 'string' }] }, (a) => {
    const path = a.string('path')
    let reader: MmdbReader
    try {
      reader = new (mmdbLib().Reader)(readFileSync(path))
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      throw plainErr(code === 'ENOENT' ? `open ${path}: no such file or directory` : toQueryError(e).message)
    }
    return (v) => {
      const ip = getString(v)
      if (!/^[0-9.]+$|:/.test(ip)) throw plainErr(`invalid IP address: ${ip}`)
      let rec: unknown
      try {
        rec = reader.get(ip)
      } catch (e) {
        throw plainErr(toQueryError(e).message)
      }
      return fromPlain(rec ?? {})
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Changelogs (r3labs/diff): [{type, path, from, to}]

interface Change {
  type: 'create' | 'update' | 'delete'
  path: string[]
  from: Value
  to: Value
}

function diffValues(a: Value, b: Value, path: string[], out: Change[]): void {
  if (isObject(a) && isObject(b)) {
    for (const k of sortedKeys(a)) {
      const bv = getKey(b, k)
      if (bv === undefined) out.push({ type: 'delete', path: [...path, k], from: a[k] as Value, to: null })
      else diffValues(a[k] as Value, bv, [...path, k], out)
    }
    for (const k of sortedKeys(b)) {
      if (getKey(a, k) === undefined)
        out.push({ type: 'create', path: [...path, k], from: null, to: b[k] as Value })
    }
    return
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length)
    for (let i = 0; i < n; i++) {
      if (i >= a.length)
        out.push({ type: 'create', path: [...path, String(i)], from: null, to: b[i] as Value })
      else if (i >= b.length)
        out.push({ type: 'delete', path: [...path, String(i)], from: a[i] as Value, to: null })
      else diffValues(a[i] as Value, b[i] as Value, [...path, String(i)], out)
    }
    return
  }
  if (!compareValues(a, b)) out.push({ type: 'update', path, from: a, to: b })
}

function applyChange(root: Value, c: Change): Value {
  if (c.path.length === 0) return c.type === 'delete' ? null : c.to
  let cur: Value = root
  for (let i = 0; i < c.path.length - 1; i++) {
    const seg = c.path[i] as string
    let next: Value | undefined
    if (Array.isArray(cur)) next = cur[Number(seg)]
    else if (isObject(cur)) next = getKey(cur, seg)
    else throw plainErr(`unable to apply change at path ${c.path.join('.')}`)
    if (next === undefined || next === null) {
      if (c.type === 'delete') return root
      next = {}
      if (Array.isArray(cur)) cur[Number(seg)] = next
      else setKey(cur as VObject, seg, next)
    }
    cur = next
  }
  const last = c.path[c.path.length - 1] as string
  if (Array.isArray(cur)) {
    const i = Number(last)
    if (c.type === 'delete') cur.splice(i, 1)
    else cur[i] = c.to
  } else if (isObject(cur)) {
    if (c.type === 'delete') delete cur[last]
    else setKey(cur, last, c.to)
  } else throw plainErr(`unable to apply change at path ${c.path.join('.')}`)
  return root
}

function toChanges(v: Value): Change[] {
  if (!Array.isArray(v)) throw typeError(v, ['array'])
  return v.map((c, i) => {
    if (!isObject(c)) throw plainErr(`change ${i}: ${typeError(c, ['object']).message}`)
    const type = c.Type ?? c.type
    if (type !== 'create' && type !== 'update' && type !== 'delete')
      throw plainErr(`change ${i}: unknown change type`)
    const path = c.Path ?? c.path
    if (!Array.isArray(path)) throw plainErr(`change ${i}: path must be an array`)
    return {
      type,
      path: path.map((p) => getString(p)),
      from: c.From ?? c.from ?? null,
      to: c.To ?? c.to ?? null,
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Parquet

// ---------------------------------------------------------------------------------------------

export const extraMethods: MethodSpec[] = [
  replaceMany('replace_all_many'),
  replaceMany('replace_many'),
  pluginMethod('slug', { params: [{ name: 'lang', type: 'string', default: 'en' }] }, (a) => {
    const lang = a.string('lang')
    return (v) => slug(getString(v), lang)
  }),
  simpleMethod('strip_html', { params: [{ name: 'preserve', type: 'array', optional: true }] }, (a) => {
    const preserve = (a.optValue('preserve') as Value[] | undefined) ?? []
    const tags = preserve.map((t, i) => {
      if (typeof t !== 'string') throw wrapErr(`invalid arg at index ${i}`, typeError(t, ['string']))
      return t
    })
    const strip = stripHTML(tags)
    return (v) => {
      if (typeof v === 'string') return strip(v)
      if (v instanceof Uint8Array) return stringToBytes(strip(bytesToString(v)))
      throw typeError(v, ['string'])
    }
  }),
  simpleMethod('filepath_join', {}, () => (v) => {
    if (!Array.isArray(v)) throw typeError(v, ['array'])
    const parts = v.map((e, i) => {
      try {
        return getString(e)
      } catch (err) {
        throw wrapErr(`path element ${i}`, err)
      }
    })
    const nonEmpty = parts.filter((p) => p !== '')
    return nonEmpty.length === 0 ? '' : posix.normalize(nonEmpty.join('/')).replace(/(.)\/$/, '$1')
  }),
  simpleMethod('filepath_split', {}, () => (v) => {
    const s = getString(v)
    const i = s.lastIndexOf('/')
    return [s.slice(0, i + 1), s.slice(i + 1)]
  }),
  pluginMethod('compare_bcrypt', { params: [{ name: 'hashed_secret', type: 'string' }] }, (a) => {
    const hash = a.string('hashed_secret')
    return (v) => compareBcrypt(getString(v), hash)
  }),
  pluginMethod('compare_argon2', { params: [{ name: 'hashed_secret', type: 'string' }] }, (a) => {
    const hash = a.string('hashed_secret')
    return (v) => compareArgon2(getString(v), hash)
  }),
  aesMethod('encrypt_aes', true),
  aesMethod('decrypt_aes', false),
  pluginMethod(
    'compress',
    {
      params: [
        { name: 'algorithm', type: 'string' },
        { name: 'level', type: 'int', default: -1 },
      ],
    },
    (a) => {
      const alg = a.string('algorithm')
      const level = a.int('level')
      const fn = COMPRESSORS[alg]
      if (fn === undefined) throw plainErr(`compression type not recognised: ${alg}`)
      return (v) => new Uint8Array(fn(level, getBytes(v)))
    },
  ),
  pluginMethod('decompress', { params: [{ name: 'algorithm', type: 'string' }] }, (a) => {
    const alg = a.string('algorithm')
    const fn = DECOMPRESSORS[alg]
    if (fn === undefined) throw plainErr(`decompression type not recognised: ${alg}`)
    return (v) => new Uint8Array(fn(getBytes(v)))
  }),
  pluginMethod('parse_form_url_encoded', {}, () => (v) => parseFormURLEncoded(getString(v))),
  pluginMethod('parse_big_decimal', { params: [{ name: 'scale', type: 'int' }] }, (a) => {
    const scale = a.int('scale')
    if (scale < 0) throw plainErr(`scale must be >= 0, got ${scale}`)
    return (v) => bigDecimal(getBytes(v), scale)
  }),
  simpleMethod('split_by', { params: [{ name: 'predicate', type: 'query' }] }, (a) => {
    const q = a.query('predicate')
    const test = (ctx: Ctx, v: Value, what: string, i: number): boolean => {
      let r: Value
      try {
        r = q.exec(withValue(ctx, v))
      } catch (e) {
        throw wrapErr(`predicate returned an error for ${what} ${i}`, e)
      }
      return r === true
    }
    return (v, ctx) => {
      if (typeof v === 'string') {
        if (v === '') return ['']
        const chars = Array.from(v)
        const out: Value[] = []
        let start = 0
        for (let i = 0; i < chars.length; i++) {
          if (!test(ctx, chars[i] as string, 'character at position', i)) continue
          out.push(chars.slice(start, i).join(''))
          start = i + 1
        }
        out.push(chars.slice(start).join(''))
        return out
      }
      if (v instanceof Uint8Array) {
        if (v.length === 0) return [new Uint8Array(0)]
        const out: Value[] = []
        let start = 0
        for (let i = 0; i < v.length; i++) {
          if (!test(ctx, v[i] as number, 'byte at position', i)) continue
          out.push(v.slice(start, i))
          start = i + 1
        }
        out.push(v.slice(start))
        return out
      }
      if (Array.isArray(v)) {
        if (v.length === 0) return [[]]
        const out: Value[] = []
        let cur: Value[] = []
        for (let i = 0; i < v.length; i++) {
          const el = v[i] as Value
          if (!test(ctx, el, 'index', i)) {
            cur.push(el)
            continue
          }
          out.push(cur)
          cur = []
        }
        out.push(cur)
        return out
      }
      throw typeError(v, ['string', 'array', 'bytes'])
    }
  }),
  pluginMethod('zip', { variadic: true }, (a) => {
    const args = a.all()
    const slices = args.map((x) => {
      if (!Array.isArray(x)) throw typeError(x, ['array'])
      return x
    })
    for (const s of slices)
      if (s.length !== (slices[0] as Value[]).length)
        throw plainErr("can't zip different length array values")
    return (v) => {
      if (!Array.isArray(v)) throw typeError(v, ['array'])
      if (slices.length === 0) throw plainErr('zip requires at least one argument')
      if (v.length !== (slices[0] as Value[]).length)
        throw plainErr("can't zip different length array values")
      return v.map((x, i) => [x, ...slices.map((s) => s[i] as Value)])
    }
  }),
  {
    name: 'bloblang',
    params: [{ name: 'mapping', type: 'string' }],
    ctor: (target, args) => {
      const exe = dynamicMapping(args.string('mapping'), args.env)
      const te = target.exec
      return closure('method bloblang', (ctx) => {
        const v = te(ctx)
        const inner: Ctx = {
          value: v,
          next: undefined,
          named: null,
          lazy: null,
          vars: new Map(),
          maps: exe.maps,
          meta: null,
          root: null,
          batch: { parts: [] },
          index: 0,
          stack: ctx.stack,
        }
        return exe.exec(inner)
      })
    },
  },
  pluginMethod('json_path', { params: [{ name: 'expression', type: 'string' }] }, (a) => {
    const path = a.string('expression')
    try {
      jsonPathLib().JSONPath({ path, json: {}, wrap: true })
    } catch (e) {
      throw wrapErr('failed to evaluate json path expression', e)
    }
    return (v) => {
      let res: unknown[]
      try {
        res = jsonPathLib().JSONPath({ path, json: toPlain(v) as object, wrap: true })
      } catch (e) {
        throw plainErr(toQueryError(e).message)
      }
      // PaesslerAG/jsonpath: a definite path gives the value itself, a wildcard one a list.
      const definite = !/\.\.|\*|\[\?|\[[^\]]*[,:]/.test(path)
      if (definite) {
        if (res.length === 0) throw plainErr(`unknown key ${path.split('.').at(-1) ?? path}`)
        return fromPlain(res[0])
      }
      return res.map(fromPlain)
    }
  }),
  simpleMethod('json_schema', { params: [{ name: 'schema', type: 'string' }] }, (a) => {
    const text = a.string('schema')
    let validate: AjvValidate
    try {
      const Ajv = ajvLib().default
      validate = new Ajv({ allErrors: true, strict: false }).compile(toPlain(parseJSON(text)) as object)
    } catch (e) {
      throw wrapErr('failed to parse json schema definition', e)
    }
    return (v) => {
      const data = toPlain(v)
      if (validate(data)) return v
      throw plainErr((validate.errors ?? []).map((e) => schemaError(e, data)).join('\n'))
    }
  }),
  pluginMethod('format_msgpack', {}, () => (v) => msgpackEncode(v)),
  pluginMethod('parse_msgpack', {}, () => (v) => {
    if (typeof v !== 'string' && !(v instanceof Uint8Array)) throw typeError(v, ['bytes'])
    return parseMsgpack(getBytes(v))
  }),
  ...[
    'geoip_anonymous_ip',
    'geoip_asn',
    'geoip_city',
    'geoip_connection_type',
    'geoip_country',
    'geoip_domain',
    'geoip_enterprise',
    'geoip_isp',
  ].map(geoipMethod),
  pluginMethod('diff', { params: [{ name: 'other', type: 'unknown' }] }, (a) => {
    const other = a.value('other')
    return (v) => {
      const out: Change[] = []
      diffValues(v, other, [], out)
      // r3labs/diff's Change struct, serialised by field name.
      return out.map((c) => ({ Type: c.type, Path: c.path, From: c.from, To: c.to }))
    }
  }),
  pluginMethod('patch', { params: [{ name: 'changelog', type: 'unknown' }] }, (a) => {
    const changes = toChanges(a.value('changelog'))
    return (v) => {
      let root = parseJSON(encodeJSON(v, false))
      for (const c of changes) root = applyChange(root, c)
      return root
    }
  }),
  pluginMethod(
    'parse_parquet',
    { params: [{ name: 'byte_array_as_string', type: 'bool', default: false }] },
    (a) => {
      const asString = a.bool('byte_array_as_string')
      return (v) => {
        const b = getBytes(v)
        const magic = (x: Uint8Array): boolean =>
          x.length >= 4 && x[0] === 0x50 && x[1] === 0x41 && x[2] === 0x52 && x[3] === 0x31
        if (!magic(b))
          throw plainErr(
            `parquet read panic: invalid magic header of parquet file: ${goQuote(bytesToString(b.subarray(0, 4)))}`,
          )
        if (b.length < 12 || !magic(b.subarray(b.length - 4)))
          throw plainErr(
            `parquet read panic: invalid magic footer of parquet file: ${goQuote(bytesToString(b.subarray(b.length - 4)))}`,
          )
        const res = readParquetSync(b, asString)
        if (res.error !== undefined) throw plainErr(`failed to read parquet data: ${res.error}`)
        const rows = res.rows ?? []
        return rows.map(fromParquet)
      }
    },
  ),
]

function fromParquet(v: unknown): Value {
  if (typeof v === 'bigint') return int64(v)
  // Bento hands BYTE_ARRAY columns on as strings.
  if (v instanceof Uint8Array) return bytesToString(v)
  if (v instanceof Date)
    return new Timestamp(Math.floor(v.getTime() / 1000), (v.getTime() % 1000) * 1e6, 0, 'UTC')
  if (v instanceof Uint8Array) return v
  if (Array.isArray(v)) return v.map(fromParquet)
  if (v !== null && typeof v === 'object') {
    const out: VObject = {}
    for (const k of Object.keys(v)) setKey(out, k, fromParquet((v as Record<string, unknown>)[k]))
    return out
  }
  return fromPlain(v)
}

const MESSAGE_FUNCTIONS = [
  'batch_index',
  'batch_size',
  'content',
  'error',
  'error_source_label',
  'error_source_path',
  'error_source_type',
  'errored',
  'flow_id',
  'json',
  'metadata',
  'tracing_id',
  'tracing_span',
]

const dynamicEnvs = new WeakMap<Environment, Environment>()

/**
 * A mapping given to the `bloblang` method: parsed with pure functions and methods only, no
 * message access and no imports, like Bento's dynamic parser context.
 */
function dynamicMapping(src: string, env: Environment | null): MappingExecutor {
  const base = env ?? new Environment()
  let dyn = dynamicEnvs.get(base)
  if (dyn === undefined) {
    dyn = base.onlyPure().withoutFunctions(...MESSAGE_FUNCTIONS)
    dyn.importer = null
    dynamicEnvs.set(base, dyn)
  }
  const r = parseMapping({ env: dyn, named: [], importDir: '' }, src)
  if (!r.ok) throw plainErr(errorMessage(r.err, src, true))
  return r.v
}
