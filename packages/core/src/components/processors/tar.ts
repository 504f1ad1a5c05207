// The tar format as Go's archive/tar writes and reads it (what Bento's archive/unarchive use):
// USTAR headers (a PAX record for a name too long for them), no padding past the two zero blocks
// that end an archive, and entries read up to the first zero block, whatever their names.
// nanotar, used before, took an empty name for the end of the archive and padded to 10 KiB.

const block = 512
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export interface TarEntry {
  name: string
  data: Uint8Array
}

const roundUp = (n: number): number => Math.ceil(n / block) * block

function putString(header: Uint8Array, at: number, width: number, text: string): void {
  header.set(encoder.encode(text).subarray(0, width), at)
}

/** Go's formatOctal: zero-padded digits filling the field but for a closing NUL. */
function putOctal(header: Uint8Array, at: number, width: number, value: number): void {
  putString(header, at, width - 1, value.toString(8).padStart(width - 1, '0'))
}

function header(name: string, size: number, mtime: number, type: string): Uint8Array {
  const h = new Uint8Array(block)
  putString(h, 0, 100, name)
  putOctal(h, 100, 8, 0o600)
  putOctal(h, 108, 8, 0)
  putOctal(h, 116, 8, 0)
  putOctal(h, 124, 12, size)
  putOctal(h, 136, 12, mtime)
  h[156] = type.charCodeAt(0)
  putString(h, 257, 8, 'ustar\u000000')
  putOctal(h, 329, 8, 0)
  putOctal(h, 337, 8, 0)
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  putString(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\u0000 `)
  return h
}

/** A PAX record: "<length> path=<name>\n", its length counting itself. */
function paxRecord(key: string, value: string): Uint8Array {
  const body = ` ${key}=${value}\n`
  const bodyBytes = encoder.encode(body).length
  let length = bodyBytes + 1
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes
  return encoder.encode(`${length}${body}`)
}

/** An archive of the entries, each a regular file of mode 0600 modified at `mtimeMs`. */
export function writeTar(entries: readonly TarEntry[], mtimeMs: number): Uint8Array {
  const mtime = Math.floor(mtimeMs / 1000)
  const parts: Uint8Array[] = []
  for (const e of entries) {
    const nameBytes = encoder.encode(e.name).length
    // more UTF-8 bytes than characters: the name is not ASCII, which ustar cannot hold
    if (nameBytes > 100 || nameBytes !== e.name.length) {
      const pax = paxRecord('path', e.name)
      parts.push(header(`PaxHeaders.0/${e.name.slice(0, 80)}`, pax.length, mtime, 'x'), pad(pax))
    }
    parts.push(header(e.name, e.data.length, mtime, '0'), pad(e.data))
  }
  parts.push(new Uint8Array(2 * block))
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function pad(data: Uint8Array): Uint8Array {
  if (data.length % block === 0) return data
  const out = new Uint8Array(roundUp(data.length))
  out.set(data)
  return out
}

function readString(b: Uint8Array, at: number, width: number): string {
  const field = b.subarray(at, at + width)
  const end = field.indexOf(0)
  return decoder.decode(end < 0 ? field : field.subarray(0, end))
}

function readNumber(b: Uint8Array, at: number, width: number): number {
  // Base-256 (GNU) when the top bit of the first byte is set.
  if ((b[at]! & 0x80) !== 0) {
    let n = b[at]! & 0x7f
    for (let i = 1; i < width; i++) n = n * 256 + b[at + i]!
    return n
  }
  const text = readString(b, at, width).trim()
  return text === '' ? 0 : Number.parseInt(text, 8)
}

/** PAX records: "<length> <key>=<value>\n", the length in bytes counting the whole record. */
function paxRecords(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>()
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space < 0) break
    const length = Number(decoder.decode(data.subarray(at, space)))
    if (!(length > 0) || at + length > data.length) throw new Error('archive/tar: invalid tar header')
    const record = decoder.decode(data.subarray(space + 1, at + length - 1))
    const eq = record.indexOf('=')
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1))
    at += length
  }
  return out
}

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0)

/**
 * The files of an archive, in order, to the first zero block; extended headers (PAX, GNU long
 * names) apply to the entry after them and are not entries themselves.
 */
export function readTar(b: Uint8Array): TarEntry[] {
  const out: TarEntry[] = []
  let at = 0
  let longName: string | undefined
  while (at + block <= b.length) {
    const h = b.subarray(at, at + block)
    if (isZero(h)) break
    let sum = 0
    for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!
    if (readNumber(h, 148, 8) !== sum) throw new Error('archive/tar: invalid tar header')
    const size = readNumber(h, 124, 12)
    const type = String.fromCharCode(h[156]!)
    const start = at + block
    if (start + size > b.length) throw new Error('unexpected EOF')
    const data = b.subarray(start, start + size)
    at = start + roundUp(size)
    if (type === 'x') {
      longName = paxRecords(data).get('path') ?? longName
      continue
    }
    if (type === 'g') continue
    if (type === 'L') {
      longName = readString(data, 0, data.length)
      continue
    }
    if (type === 'K') continue
    let name = readString(h, 0, 100)
    const prefix = readString(h, 257, 6) === 'ustar' ? readString(h, 345, 155) : ''
    if (prefix !== '') name = `${prefix}/${name}`
    out.push({ name: longName ?? name, data: data.slice() })
    longName = undefined
  }
  return out
}
