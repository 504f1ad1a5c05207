// HTTP details Bento inherits from Go's net/http and that configs depend on: media type
// parameters, cookies, content sniffing, listen addresses and path patterns with `{params}`
// (header names in Go's canonical form are core's `canonicalHeaderKey`).

const tokenChar = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

export interface MediaType {
  type: string
  params: Record<string, string>
}

/** Go's mime.ParseMediaType, enough of it: `multipart/mixed; boundary="x"`. Throws on a malformed type. */
export function parseMediaType(value: string): MediaType {
  const [head = '', ...rest] = value.split(';')
  const type = head.trim().toLowerCase()
  if (
    !/^[!#$%&'*+\-.^_`|~0-9a-z]+\/[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(type) &&
    !/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(type)
  )
    throw new Error(`mime: expected slash after first token in ${JSON.stringify(value)}`)
  const params: Record<string, string> = {}
  for (const part of rest) {
    const trimmed = part.trim()
    if (trimmed === '') continue
    const eq = trimmed.indexOf('=')
    if (eq <= 0) throw new Error(`mime: invalid media parameter in ${JSON.stringify(value)}`)
    const key = trimmed.slice(0, eq).trim().toLowerCase()
    let v = trimmed.slice(eq + 1).trim()
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1')
    params[key] = v
  }
  return { type, params }
}

/** Go's http.Request.Cookies: name/value pairs of every `Cookie` header, quotes removed. */
export function parseCookies(header: string | undefined): [string, string][] {
  if (header === undefined || header === '') return []
  const out: [string, string][] = []
  for (const piece of header.split(';')) {
    const trimmed = piece.trim()
    if (trimmed === '') continue
    const eq = trimmed.indexOf('=')
    if (eq <= 0) continue
    const name = trimmed.slice(0, eq)
    if (!tokenChar.test(name)) continue
    let value = trimmed.slice(eq + 1)
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    out.push([name, value])
  }
  return out
}

const htmlSignatures = [
  '<!DOCTYPE HTML',
  '<HTML',
  '<HEAD',
  '<SCRIPT',
  '<IFRAME',
  '<H1',
  '<DIV',
  '<FONT',
  '<TABLE',
  '<A',
  '<STYLE',
  '<TITLE',
  '<B',
  '<BODY',
  '<BR',
  '<P',
  '<!--',
]

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean =>
  bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b)

/**
 * The common cases of Go's http.DetectContentType, which Bento uses when a sync response has no
 * Content-Type: HTML, XML, PDF, a few image and archive formats, then text versus binary.
 */
export function detectContentType(bytes: Uint8Array): string {
  let start = 0
  while (start < bytes.length && [9, 10, 12, 13, 32].includes(bytes[start]!)) start++
  const head = Buffer.from(bytes.subarray(start, start + 512)).toString('latin1')
  const upper = head.toUpperCase()
  for (const sig of htmlSignatures) {
    if (upper.startsWith(sig)) {
      const next = upper.charCodeAt(sig.length)
      if (Number.isNaN(next) || next === 0x20 || next === 0x3e) return 'text/html; charset=utf-8'
    }
  }
  if (head.startsWith('<?xml')) return 'text/xml; charset=utf-8'
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf'
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png'
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg'
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'image/gif'
  if (startsWith(bytes, [0x1f, 0x8b, 0x08])) return 'application/x-gzip'
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip'
  const end = Math.min(bytes.length, 512)
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f))
      return 'application/octet-stream'
  }
  return 'text/plain; charset=utf-8'
}

/** A Go listen address (`0.0.0.0:4195`, `:4195`, `[::1]:80`) as Node's host and port. */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const colon = address.lastIndexOf(':')
  if (colon < 0) throw new Error(`address ${JSON.stringify(address)} has no port (want host:port)`)
  let host = address.slice(0, colon)
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  const portText = address.slice(colon + 1)
  const port = Number(portText)
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`address ${JSON.stringify(address)} has an invalid port`)
  return { host: host === '' ? undefined : host, port }
}

export interface PathPattern {
  /** path parameters by name when the path matches, else undefined */
  match(path: string): Record<string, string> | undefined
}

/**
 * A gorilla/mux route as Bento registers it: `/post`, `/users/{id}`, `/files/{name:[a-z]+}`;
 * a path ending with `/` matches everything under it.
 */
export function pathPattern(pattern: string): PathPattern {
  const names: string[] = []
  let source = ''
  let i = 0
  while (i < pattern.length) {
    const ch = pattern[i]!
    if (ch !== '{') {
      source += ch.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      i++
      continue
    }
    // Find the matching brace (a parameter's own pattern may contain braces).
    let depth = 0
    let end = i
    for (; end < pattern.length; end++) {
      if (pattern[end] === '{') depth++
      else if (pattern[end] === '}' && --depth === 0) break
    }
    if (end >= pattern.length) throw new Error(`path ${JSON.stringify(pattern)}: unbalanced braces`)
    const inner = pattern.slice(i + 1, end)
    const colon = inner.indexOf(':')
    names.push(colon < 0 ? inner : inner.slice(0, colon))
    source += `(${colon < 0 ? '[^/]+' : inner.slice(colon + 1).replace(/\((?!\?)/g, '(?:')})`
    i = end + 1
  }
  const prefix = pattern.endsWith('/')
  const regex = new RegExp(`^${source}${prefix ? '' : '$'}`)
  if (names.length === 0 && !prefix) {
    return { match: (path) => (path === pattern ? {} : undefined) }
  }
  return {
    match(path) {
      const m = regex.exec(path)
      if (m === null) return undefined
      const params: Record<string, string> = {}
      names.forEach((name, k) => {
        params[name] = m[k + 1]!
      })
      return params
    },
  }
}

/** Go's http.StatusText for the codes an HTTP sink commonly answers. */
export function statusLine(code: number, text: string | undefined): string {
  return text === undefined || text === '' ? `${code}` : `${code} ${text}`
}
