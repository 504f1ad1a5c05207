// Go's net/url Parse (as used by Bento's parse_url): same field values and the same error texts
// for the common failure kinds. Works on UTF-8 bytes held in a latin1 "byte string", like Go's
// byte-indexed string handling.

import { isIPv4, isIPv6 } from 'node:net'
import { plainErr } from '../errors.ts'
import { goQuote, type VObject } from '../value.ts'

const Mode = {
  Path: 0,
  PathSegment: 1,
  Host: 2,
  Zone: 3,
  UserPassword: 4,
  QueryComponent: 5,
  Fragment: 6,
} as const
type Mode = (typeof Mode)[keyof typeof Mode]

/** Thrown inside the parser; the caller wraps it as `parse "<url>": <msg>`. */
class URLError {
  readonly msg: string
  constructor(msg: string) {
    this.msg = msg
  }
}

const toBytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1')
const fromBytes = (b: string): string => Buffer.from(b, 'latin1').toString('utf8')

function isAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
}

function unhex(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87
}

/** Which bytes a URL section needs escaped (RFC 3986 with Go's relaxations). */
function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlnum(c)) return false
  const ch = String.fromCharCode(c)
  if ((mode === Mode.Host || mode === Mode.Zone) && `!$&'()*+,;=:[]<>"`.includes(ch)) return false
  if ('-_.~'.includes(ch)) return false
  if ('$&+,/:;=?@'.includes(ch)) {
    switch (mode) {
      case Mode.Path:
        return ch === '?'
      case Mode.PathSegment:
        return ch === '/' || ch === ';' || ch === ',' || ch === '?'
      case Mode.UserPassword:
        return ch === '@' || ch === '/' || ch === '?' || ch === ':'
      case Mode.QueryComponent:
        return true
      case Mode.Fragment:
        return false
    }
  }
  if (mode === Mode.Fragment && '!()*'.includes(ch)) return false
  return true
}

const escapeErr = (s: string): URLError => new URLError(`invalid URL escape ${goQuote(fromBytes(s))}`)

function unescapeURL(s: string, mode: Mode): string {
  let n = 0
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i)
    if (c === 37) {
      n++
      if (i + 2 >= s.length || !isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2)))
        throw escapeErr(s.slice(i, i + 3))
      const seq = s.slice(i, i + 3)
      if (mode === Mode.Host && unhex(s.charCodeAt(i + 1)) < 8 && seq !== '%25') throw escapeErr(seq)
      if (mode === Mode.Zone) {
        const v = (unhex(s.charCodeAt(i + 1)) << 4) | unhex(s.charCodeAt(i + 2))
        if (seq !== '%25' && v !== 32 && shouldEscape(v, Mode.Host)) throw escapeErr(seq)
      }
      i += 3
    } else {
      if ((mode === Mode.Host || mode === Mode.Zone) && c < 0x80 && shouldEscape(c, mode))
        throw new URLError(`invalid character ${goQuote(s[i] as string)} in host name`)
      i++
    }
  }
  if (n === 0) return s
  let t = ''
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 37) {
      t += String.fromCharCode((unhex(s.charCodeAt(i + 1)) << 4) | unhex(s.charCodeAt(i + 2)))
      i += 2
    } else t += s[i]
  }
  return t
}

function escapeURL(s: string, mode: Mode): string {
  let t = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    t += shouldEscape(c, mode) ? `%${c.toString(16).toUpperCase().padStart(2, '0')}` : s[i]
  }
  return t
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true
  if (port[0] !== ':') return false
  for (let i = 1; i < port.length; i++) {
    const c = port.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function validUserinfo(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!isAlnum(c) && !"-._:~!$&'()*+,;=%@".includes(s[i] as string)) return false
  }
  return true
}

function parseHost(scheme: string, host: string): string {
  const open = host.lastIndexOf('[')
  if (open > 0) throw new URLError('invalid IP-literal')
  if (open === 0) {
    const close = host.lastIndexOf(']')
    if (close < 0) throw new URLError("missing ']' in host")
    const colonPort = host.slice(close + 1)
    if (!validOptionalPort(colonPort))
      throw new URLError(`invalid port ${goQuote(fromBytes(colonPort))} after host`)
    const port = unescapeURL(colonPort, Mode.Host)
    const hostname = host.slice(1, close)
    const zone = hostname.indexOf('%25')
    const unescaped =
      zone >= 0
        ? unescapeURL(hostname.slice(0, zone), Mode.Host) + unescapeURL(hostname.slice(zone), Mode.Zone)
        : unescapeURL(hostname, Mode.Host)
    const text = fromBytes(unescaped)
    if (isIPv4(text)) throw new URLError('invalid IP-literal')
    if (!isIPv6(text)) {
      // netip.ParseAddr's message for the first kind it recognises (IPv6 details not modelled).
      const kind = /[.:%]/.exec(text)?.[0]
      const why = kind === '%' ? 'missing IPv6 address' : 'unable to parse IP'
      throw new URLError(`invalid host: ParseAddr(${goQuote(text)}): ${why}`)
    }
    return `[${unescaped}]${port}`
  }
  let i = host.indexOf(':')
  if (i !== -1) {
    const last = host.lastIndexOf(':')
    if (last !== i && scheme !== 'http' && scheme !== 'https') i = last
    const colonPort = host.slice(i)
    if (!validOptionalPort(colonPort))
      throw new URLError(`invalid port ${goQuote(fromBytes(colonPort))} after host`)
  }
  return unescapeURL(host, Mode.Host)
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) continue
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
      if (i === 0) return ['', raw]
      continue
    }
    if (c === 58) {
      if (i === 0) throw new URLError('missing protocol scheme')
      return [raw.slice(0, i), raw.slice(i + 1)]
    }
    return ['', raw]
  }
  return ['', raw]
}

function count(s: string, ch: string): number {
  let n = 0
  for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, i + 1)) n++
  return n
}

interface GoURL {
  scheme: string
  opaque: string
  user: { name: string; password?: string } | null
  host: string
  path: string
  rawPath: string
  rawQuery: string
  fragment: string
  rawFragment: string
}

function parseNoFragment(raw: string): GoURL {
  const u: GoURL = {
    scheme: '',
    opaque: '',
    user: null,
    host: '',
    path: '',
    rawPath: '',
    rawQuery: '',
    fragment: '',
    rawFragment: '',
  }
  for (let i = 0; i < raw.length; i++) {
    const b = raw.charCodeAt(i)
    if (b < 32 || b === 0x7f) throw new URLError('net/url: invalid control character in URL')
  }
  if (raw === '*') {
    u.path = '*'
    return u
  }
  let [scheme, rest] = getScheme(raw)
  u.scheme = scheme.toLowerCase()
  if (rest.endsWith('?') && count(rest, '?') === 1) rest = rest.slice(0, -1)
  else {
    const q = rest.indexOf('?')
    if (q >= 0) {
      u.rawQuery = rest.slice(q + 1)
      rest = rest.slice(0, q)
    }
  }
  if (!rest.startsWith('/')) {
    if (u.scheme !== '') {
      u.opaque = rest
      return u
    }
    const slash = rest.indexOf('/')
    if ((slash < 0 ? rest : rest.slice(0, slash)).includes(':'))
      throw new URLError('first path segment in URL cannot contain colon')
  }
  if ((u.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2)
    rest = ''
    const slash = authority.indexOf('/')
    if (slash >= 0) {
      rest = authority.slice(slash)
      authority = authority.slice(0, slash)
    }
    const at = authority.lastIndexOf('@')
    u.host = parseHost(u.scheme, at < 0 ? authority : authority.slice(at + 1))
    if (at >= 0) {
      const userinfo = authority.slice(0, at)
      if (!validUserinfo(userinfo)) throw new URLError('net/url: invalid userinfo')
      const colon = userinfo.indexOf(':')
      if (colon < 0) u.user = { name: unescapeURL(userinfo, Mode.UserPassword) }
      else
        u.user = {
          name: unescapeURL(userinfo.slice(0, colon), Mode.UserPassword),
          password: unescapeURL(userinfo.slice(colon + 1), Mode.UserPassword),
        }
    }
  }
  u.path = unescapeURL(rest, Mode.Path)
  if (escapeURL(u.path, Mode.Path) !== rest) u.rawPath = rest
  return u
}

/** Go's url.Parse; throws Go's `parse "<url>": <reason>` error. */
function goParseURL(s: string): GoURL {
  const raw = toBytes(s)
  const hash = raw.indexOf('#')
  const main = hash < 0 ? raw : raw.slice(0, hash)
  const frag = hash < 0 ? '' : raw.slice(hash + 1)
  let u: GoURL
  try {
    u = parseNoFragment(main)
  } catch (e) {
    if (e instanceof URLError) throw plainErr(`parse ${goQuote(fromBytes(main))}: ${e.msg}`)
    throw e
  }
  if (frag !== '') {
    try {
      u.fragment = unescapeURL(frag, Mode.Fragment)
    } catch (e) {
      if (e instanceof URLError) throw plainErr(`parse ${goQuote(s)}: ${e.msg}`)
      throw e
    }
    if (escapeURL(u.fragment, Mode.Fragment) !== frag) u.rawFragment = frag
  }
  return u
}

/** Bento's parse_url object. */
export function parseURL(s: string): VObject {
  const u = goParseURL(s)
  const out: VObject = {
    scheme: fromBytes(u.scheme),
    opaque: fromBytes(u.opaque),
    host: fromBytes(u.host),
    path: fromBytes(u.path),
    raw_path: fromBytes(u.rawPath),
    raw_query: fromBytes(u.rawQuery),
    fragment: fromBytes(u.fragment),
    raw_fragment: fromBytes(u.rawFragment),
  }
  if (u.user !== null) {
    const user: VObject = { name: fromBytes(u.user.name) }
    if (u.user.password !== undefined) user.password = fromBytes(u.user.password)
    out.user = user
  }
  return out
}
