// Time zones the way Go's time package sees them.
//
// Go reads the system tz database (TZif files under /usr/share/zoneinfo and friends, or
// $ZONEINFO) and evaluates the POSIX TZ rule at the end of each file for instants past the
// transition table. We read the very same files, so offsets *and* zone abbreviations ("CET",
// "EDT", "+03") match Go byte for byte, including historical local mean time. Where no tz
// database exists on the machine (Go would fail to load any zone there) we fall back to the
// ICU data built into JS (Intl), which gives the same offsets but coarser abbreviations.

import { readFileSync, statSync } from 'node:fs'
import { plainErr } from '../errors.ts'
import { civilFromDays, daysBefore, daysIn, isLeap, SECONDS_PER_DAY, ydayOfDays } from './civil.ts'

export interface Zone {
  /** Abbreviation, e.g. "CET" ('' for unnamed fixed zones). */
  readonly name: string
  /** Seconds east of UTC. */
  readonly offset: number
  readonly isDST: boolean
}

const ALPHA = Number.NEGATIVE_INFINITY
const OMEGA = Number.POSITIVE_INFINITY

/** Go's *time.Location. */
export class Location {
  readonly name: string
  readonly zones: Zone[]
  /** Transition instants (unix seconds) and the zone index each starts. */
  readonly txWhen: number[]
  readonly txIndex: number[]
  /** POSIX TZ string for instants after the last transition. */
  readonly extend: string
  /** Fixed zones never change offset. */
  readonly fixed: boolean
  /** Intl-backed zone (no tz database on this machine). */
  readonly intl: Intl.DateTimeFormat | null

  // Cache of the zone in effect for a range of instants.
  private cacheStart = 0
  private cacheEnd = 0
  private cacheZone: Zone | null = null
  private readonly extraZones = new Map<string, Zone>()

  /** Outputs of the last lookup(): the range during which its zone is in effect. */
  start = ALPHA
  end = OMEGA

  constructor(
    name: string,
    zones: Zone[],
    txWhen: number[],
    txIndex: number[],
    extend: string,
    fixed = false,
    intl: Intl.DateTimeFormat | null = null,
  ) {
    this.name = name
    this.zones = zones
    this.txWhen = txWhen
    this.txIndex = txIndex
    this.extend = extend
    this.fixed = fixed
    this.intl = intl
    if (fixed) {
      this.cacheStart = ALPHA
      this.cacheEnd = OMEGA
      this.cacheZone = zones[0] as Zone
    }
  }

  withName(name: string): Location {
    return new Location(name, this.zones, this.txWhen, this.txIndex, this.extend, this.fixed, this.intl)
  }

  /** The zone in effect at unix second `sec` (sets `start`/`end`). Go's Location.lookup. */
  lookup(sec: number): Zone {
    if (this.zones.length === 0) {
      this.start = ALPHA
      this.end = OMEGA
      return UTC_ZONE
    }
    const cz = this.cacheZone
    if (cz !== null && this.cacheStart <= sec && sec < this.cacheEnd) {
      this.start = this.cacheStart
      this.end = this.cacheEnd
      return cz
    }
    if (this.intl !== null) return this.lookupIntl(sec)
    const when = this.txWhen
    const n = when.length
    if (n === 0 || sec < (when[0] as number)) {
      this.start = ALPHA
      this.end = n > 0 ? (when[0] as number) : OMEGA
      return this.zones[this.lookupFirstZone()] as Zone
    }
    let lo = 0
    let hi = n
    let end = OMEGA
    while (hi - lo > 1) {
      const m = (lo + hi) >>> 1
      const lim = when[m] as number
      if (sec < lim) {
        end = lim
        hi = m
      } else lo = m
    }
    let zone = this.zones[this.txIndex[lo] as number] as Zone
    let start = when[lo] as number
    if (lo === n - 1 && this.extend !== '') {
      const r = tzset(this.extend, start, sec)
      if (r !== null) {
        zone = this.internZone(r.name, r.offset, r.isDST)
        start = r.start
        end = r.end
      }
    }
    this.start = start
    this.end = end
    // Remember the range around "now"-ish instants: mapping workloads look up nearby times.
    this.cacheStart = start
    this.cacheEnd = end
    this.cacheZone = zone
    return zone
  }

  private internZone(name: string, offset: number, isDST: boolean): Zone {
    for (const z of this.zones) if (z.name === name && z.offset === offset && z.isDST === isDST) return z
    const key = `${name}\u0000${offset}\u0000${isDST}`
    let z = this.extraZones.get(key)
    if (z === undefined) {
      z = { name, offset, isDST }
      this.extraZones.set(key, z)
    }
    return z
  }

  private lookupFirstZone(): number {
    if (!this.txIndex.includes(0)) return 0
    const first = this.txIndex[0]
    if (first !== undefined && (this.zones[first] as Zone).isDST) {
      for (let zi = first - 1; zi >= 0; zi--) if (!(this.zones[zi] as Zone).isDST) return zi
    }
    for (let zi = 0; zi < this.zones.length; zi++) if (!(this.zones[zi] as Zone).isDST) return zi
    return 0
  }

  private lookupIntl(sec: number): Zone {
    const offset = intlOffset(this.intl as Intl.DateTimeFormat, sec)
    // Offsets change at most at hour boundaries in practice; cache the hour around sec.
    const hourStart = Math.floor(sec / 3600) * 3600
    const zone = this.internZone(intlAbbrev(this.name, sec, offset), offset, false)
    this.start = hourStart
    this.end = hourStart + 3600
    this.cacheStart = hourStart
    this.cacheEnd = hourStart + 3600
    this.cacheZone = zone
    return zone
  }

  /** Go's Location.lookupName: the offset of a zone abbreviation in effect around `unix`. */
  lookupName(name: string, unix: number): number | null {
    for (const z of this.zones) {
      if (z.name === name) {
        const found = this.lookup(unix - z.offset)
        if (found.name === z.name) return found.offset
      }
    }
    for (const z of this.zones) if (z.name === name) return z.offset
    return null
  }
}

const UTC_ZONE: Zone = { name: 'UTC', offset: 0, isDST: false }

export const UTC = new Location('UTC', [], [], [], '')

const unnamedFixed = new Map<number, Location>()

/** Go's FixedZone. */
export function fixedZone(name: string, offset: number): Location {
  if (name === '') {
    let l = unnamedFixed.get(offset)
    if (l === undefined) {
      l = new Location('', [{ name: '', offset, isDST: false }], [ALPHA], [0], '', true)
      if (unnamedFixed.size < 4096) unnamedFixed.set(offset, l)
    }
    return l
  }
  return new Location(name, [{ name, offset, isDST: false }], [ALPHA], [0], '', true)
}

// ---------------------------------------------------------------------------------------------
// POSIX TZ strings (Go's tzset)

interface TzsetResult {
  name: string
  offset: number
  start: number
  end: number
  isDST: boolean
}

interface Rule {
  kind: 0 | 1 | 2 // julian, day of year, month-week-day
  day: number
  week: number
  mon: number
  time: number
}

class Cursor {
  s: string
  constructor(s: string) {
    this.s = s
  }
}

function tzsetName(c: Cursor): string | null {
  const s = c.s
  if (s.length === 0) return null
  if (s[0] !== '<') {
    for (let i = 0; i < s.length; i++) {
      const ch = s[i] as string
      if ((ch >= '0' && ch <= '9') || ch === ',' || ch === '-' || ch === '+') {
        if (i < 3) return null
        c.s = s.slice(i)
        return s.slice(0, i)
      }
    }
    if (s.length < 3) return null
    c.s = ''
    return s
  }
  const j = s.indexOf('>')
  if (j < 0) return null
  c.s = s.slice(j + 1)
  return s.slice(1, j)
}

function tzsetNum(c: Cursor, min: number, max: number): number | null {
  const s = c.s
  if (s.length === 0) return null
  let num = 0
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i)
    if (ch < 0x30 || ch > 0x39) {
      if (i === 0 || num < min) return null
      c.s = s.slice(i)
      return num
    }
    num = num * 10 + (ch - 0x30)
    if (num > max) return null
  }
  if (num < min) return null
  c.s = ''
  return num
}

function tzsetOffset(c: Cursor): number | null {
  if (c.s.length === 0) return null
  let neg = false
  if (c.s[0] === '+') c.s = c.s.slice(1)
  else if (c.s[0] === '-') {
    c.s = c.s.slice(1)
    neg = true
  }
  const hours = tzsetNum(c, 0, 24 * 7)
  if (hours === null) return null
  let off = hours * 3600
  if (c.s.length > 0 && c.s[0] === ':') {
    c.s = c.s.slice(1)
    const mins = tzsetNum(c, 0, 59)
    if (mins === null) return null
    off += mins * 60
    if (c.s.length > 0 && c.s[0] === ':') {
      c.s = c.s.slice(1)
      const secs = tzsetNum(c, 0, 59)
      if (secs === null) return null
      off += secs
    }
  }
  return neg ? -off : off
}

function tzsetRule(c: Cursor): Rule | null {
  if (c.s.length === 0) return null
  const r: Rule = { kind: 0, day: 0, week: 0, mon: 0, time: 0 }
  if (c.s[0] === 'J') {
    c.s = c.s.slice(1)
    const jday = tzsetNum(c, 1, 365)
    if (jday === null) return null
    r.kind = 0
    r.day = jday
  } else if (c.s[0] === 'M') {
    c.s = c.s.slice(1)
    const mon = tzsetNum(c, 1, 12)
    if (mon === null || c.s[0] !== '.') return null
    c.s = c.s.slice(1)
    const week = tzsetNum(c, 1, 5)
    if (week === null || c.s[0] !== '.') return null
    c.s = c.s.slice(1)
    const day = tzsetNum(c, 0, 6)
    if (day === null) return null
    r.kind = 2
    r.day = day
    r.week = week
    r.mon = mon
  } else {
    const day = tzsetNum(c, 0, 365)
    if (day === null) return null
    r.kind = 1
    r.day = day
  }
  if (c.s.length === 0 || c.s[0] !== '/') {
    r.time = 2 * 3600
    return r
  }
  c.s = c.s.slice(1)
  const off = tzsetOffset(c)
  if (off === null) return null
  r.time = off
  return r
}

function tzruleTime(year: number, r: Rule, off: number): number {
  let s = 0
  switch (r.kind) {
    case 0:
      s = (r.day - 1) * SECONDS_PER_DAY
      if (isLeap(year) && r.day >= 60) s += SECONDS_PER_DAY
      break
    case 1:
      s = r.day * SECONDS_PER_DAY
      break
    case 2: {
      // Zeller's congruence for the weekday of the first day of the month.
      const m1 = ((r.mon + 9) % 12) + 1
      let yy0 = year
      if (r.mon <= 2) yy0--
      const yy1 = Math.trunc(yy0 / 100)
      const yy2 = yy0 % 100
      let dow =
        (Math.trunc((26 * m1 - 2) / 10) + 1 + yy2 + Math.trunc(yy2 / 4) + Math.trunc(yy1 / 4) - 2 * yy1) % 7
      if (dow < 0) dow += 7
      let d = r.day - dow
      if (d < 0) d += 7
      for (let i = 1; i < r.week; i++) {
        if (d + 7 >= daysIn(r.mon, year)) break
        d += 7
      }
      d += daysBefore(r.mon)
      if (isLeap(year) && r.mon > 2) d++
      s = d * SECONDS_PER_DAY
      break
    }
  }
  return s + r.time - off
}

const tzsetCache = new Map<string, ParsedTz | null>()

interface ParsedTz {
  stdName: string
  stdOffset: number
  dstName: string
  dstOffset: number
  startRule: Rule | null
  endRule: Rule | null
}

function parseTz(str: string): ParsedTz | null {
  const c = new Cursor(str)
  const stdName = tzsetName(c)
  if (stdName === null) return null
  const so = tzsetOffset(c)
  if (so === null) return null
  const stdOffset = -so
  if (c.s.length === 0 || c.s[0] === ',') {
    return { stdName, stdOffset, dstName: '', dstOffset: 0, startRule: null, endRule: null }
  }
  const dstName = tzsetName(c)
  if (dstName === null) return null
  let dstOffset: number
  if (c.s.length === 0 || c.s[0] === ',') dstOffset = stdOffset + 3600
  else {
    const d = tzsetOffset(c)
    if (d === null) return null
    dstOffset = -d
  }
  if (c.s.length === 0) c.s = ',M3.2.0,M11.1.0'
  if (c.s[0] !== ',' && c.s[0] !== ';') return null
  c.s = c.s.slice(1)
  const startRule = tzsetRule(c)
  if (startRule === null || c.s.length === 0 || c.s[0] !== ',') return null
  c.s = c.s.slice(1)
  const endRule = tzsetRule(c)
  if (endRule === null || c.s.length > 0) return null
  return { stdName, stdOffset, dstName, dstOffset, startRule, endRule }
}

/** Go's tzset: the zone in effect at `sec` per a POSIX TZ string. */
function tzset(str: string, lastTxSec: number, sec: number): TzsetResult | null {
  let p = tzsetCache.get(str)
  if (p === undefined) {
    p = parseTz(str)
    tzsetCache.set(str, p)
  }
  if (p === null) return null
  if (p.startRule === null || p.endRule === null) {
    return { name: p.stdName, offset: p.stdOffset, start: lastTxSec, end: OMEGA, isDST: false }
  }
  let stdName = p.stdName
  let dstName = p.dstName
  let stdOffset = p.stdOffset
  let dstOffset = p.dstOffset
  const days = Math.floor(sec / SECONDS_PER_DAY)
  const year = civilFromDays(days).year
  const yday = ydayOfDays(days, year)
  // Go computes sec%secondsPerDay with a truncating remainder.
  const ysec = (yday - 1) * SECONDS_PER_DAY + (sec % SECONDS_PER_DAY)
  const ystart = sec - ysec
  let startSec = tzruleTime(year, p.startRule, stdOffset)
  let endSec = tzruleTime(year, p.endRule, dstOffset)
  let dstIsDST = true
  let stdIsDST = false
  if (endSec < startSec) {
    ;[startSec, endSec] = [endSec, startSec]
    ;[stdName, dstName] = [dstName, stdName]
    ;[stdOffset, dstOffset] = [dstOffset, stdOffset]
    ;[stdIsDST, dstIsDST] = [dstIsDST, stdIsDST]
  }
  if (ysec < startSec) {
    return { name: stdName, offset: stdOffset, start: ystart, end: startSec + ystart, isDST: stdIsDST }
  }
  if (ysec >= endSec) {
    return {
      name: stdName,
      offset: stdOffset,
      start: endSec + ystart,
      end: ystart + 365 * SECONDS_PER_DAY,
      isDST: stdIsDST,
    }
  }
  return { name: dstName, offset: dstOffset, start: startSec + ystart, end: endSec + ystart, isDST: dstIsDST }
}

// ---------------------------------------------------------------------------------------------
// TZif files (Go's LoadLocationFromTZData)

class BadData extends Error {}

function readBig4(b: Uint8Array, p: number): number {
  return (
    ((b[p] as number) * 0x1000000 +
      (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number))) >>>
    0
  )
}

/** Parses TZif data into a Location (throws BadData). */
export function locationFromTZData(name: string, data: Uint8Array): Location {
  let p = 0
  const need = (n: number): number => {
    if (p + n > data.length) throw new BadData()
    const at = p
    p += n
    return at
  }
  const magic = need(4)
  if (
    data[magic] !== 0x54 ||
    data[magic + 1] !== 0x5a ||
    data[magic + 2] !== 0x69 ||
    data[magic + 3] !== 0x66
  ) {
    throw new BadData()
  }
  const vp = need(16)
  const vb = data[vp]
  let version: number
  if (vb === 0) version = 1
  else if (vb === 0x32) version = 2
  else if (vb === 0x33) version = 3
  else throw new BadData()
  const readCounts = (): number[] => {
    const n: number[] = []
    for (let i = 0; i < 6; i++) n.push(readBig4(data, need(4)))
    return n
  }
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  let n = readCounts()
  let is64 = false
  if (version > 1) {
    const skip =
      (n[3] as number) * 4 +
      (n[3] as number) +
      (n[4] as number) * 6 +
      (n[5] as number) +
      (n[2] as number) * 8 +
      (n[1] as number) +
      (n[0] as number)
    need(skip + 4 + 16)
    is64 = true
    n = readCounts()
  }
  const size = is64 ? 8 : 4
  const nTime = n[3] as number
  const nZone = n[4] as number
  const nChar = n[5] as number
  const txTimes = need(nTime * size)
  const txZones = need(nTime)
  const zoneData = need(nZone * 6)
  const abbrev = need(nChar)
  need((n[2] as number) * (size + 4))
  need(n[1] as number)
  need(n[0] as number)
  let extend = ''
  const rest = data.subarray(p)
  if (rest.length > 2 && rest[0] === 0x0a && rest[rest.length - 1] === 0x0a) {
    extend = latin1(rest.subarray(1, rest.length - 1))
  }
  if (nZone === 0) throw new BadData()
  const zones: Zone[] = []
  for (let i = 0; i < nZone; i++) {
    const zp = zoneData + i * 6
    const off = readBig4(data, zp) | 0
    const isDST = data[zp + 4] !== 0
    const ai = data[zp + 5] as number
    if (ai >= nChar) throw new BadData()
    let e = abbrev + ai
    while (e < abbrev + nChar && data[e] !== 0) e++
    zones.push({ name: latin1(data.subarray(abbrev + ai, e)), offset: off, isDST })
  }
  const txWhen: number[] = []
  const txIndex: number[] = []
  for (let i = 0; i < nTime; i++) {
    let w: number
    if (is64) {
      const hi = readBig4(data, txTimes + i * 8) | 0
      const lo = readBig4(data, txTimes + i * 8 + 4)
      w = hi * 0x100000000 + lo
    } else {
      w = readBig4(data, txTimes + i * 4) | 0
    }
    const zi = data[txZones + i] as number
    if (zi >= zones.length) throw new BadData()
    txWhen.push(w)
    txIndex.push(zi)
  }
  if (txWhen.length === 0) {
    txWhen.push(ALPHA)
    txIndex.push(0)
  }
  return new Location(name, zones, txWhen, txIndex, extend)
}

function latin1(b: Uint8Array): string {
  let s = ''
  for (const c of b) s += String.fromCharCode(c)
  return s
}

// ---------------------------------------------------------------------------------------------
// Loading (Go's LoadLocation)

const PLATFORM_SOURCES = [
  '/usr/share/zoneinfo/',
  '/usr/share/lib/zoneinfo/',
  '/usr/lib/locale/TZ/',
  '/etc/zoneinfo',
]

const ERRNO_TEXT: Record<string, string> = {
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
}

class NotFound extends Error {}

function readTzFile(path: string): Uint8Array {
  try {
    return readFileSync(path)
  } catch (e) {
    const code = (e as { code?: string }).code ?? ''
    if (code === 'ENOENT') throw new NotFound()
    throw new Error(ERRNO_TEXT[code] ?? (e as Error).message)
  }
}

function loadFrom(name: string, sources: string[]): Location {
  let firstErr: string | null = null
  for (const source of sources) {
    const path = source === '' ? name : source.endsWith('/') ? source + name : `${source}/${name}`
    try {
      return locationFromTZData(name, readTzFile(path))
    } catch (e) {
      if (e instanceof NotFound) continue
      if (firstErr === null) {
        firstErr = e instanceof BadData ? 'malformed time zone information' : (e as Error).message
      }
    }
  }
  if (firstErr !== null) throw new Error(firstErr)
  throw new Error(`unknown time zone ${name}`)
}

let hasTzDatabase: boolean | null = null

/** Whether this machine has a tz database Go would find. */
function tzDatabaseAvailable(): boolean {
  if (hasTzDatabase === null) {
    hasTzDatabase = false
    const dirs = [...PLATFORM_SOURCES]
    const env = process.env.ZONEINFO
    if (env) dirs.unshift(env)
    for (const d of dirs) {
      try {
        if (statSync(d).isDirectory()) {
          hasTzDatabase = true
          break
        }
      } catch {
        // not there
      }
    }
  }
  return hasTzDatabase
}

const loaded = new Map<string, Location | string>()

/** Go's time.LoadLocation (cached). Throws a QueryError with Go's message. */
export function loadLocation(name: string): Location {
  if (name === '' || name === 'UTC') return UTC
  if (name === 'Local') return localLocation()
  let r = loaded.get(name)
  if (r === undefined) {
    r = loadUncached(name)
    if (loaded.size < 10000) loaded.set(name, r)
  }
  if (typeof r === 'string') throw plainErr(r)
  return r
}

function loadUncached(name: string): Location | string {
  if (name.includes('..') || name[0] === '/' || name[0] === '\\') return 'time: invalid location name'
  if (!tzDatabaseAvailable()) {
    const l = intlLocation(name)
    return l ?? `unknown time zone ${name}`
  }
  // Names are byte strings in Go; reject what a file system path can't hold.
  if (name.includes('\u0000')) return 'invalid argument'
  let firstErr: string | null = null
  const zi = process.env.ZONEINFO
  if (zi) {
    try {
      return locationFromTZData(name, readTzFile(zi.endsWith('/') ? zi + name : `${zi}/${name}`))
    } catch (e) {
      if (!(e instanceof NotFound)) {
        firstErr = e instanceof BadData ? 'malformed time zone information' : (e as Error).message
      }
    }
  }
  try {
    return loadFrom(name, PLATFORM_SOURCES)
  } catch (e) {
    return firstErr ?? (e as Error).message
  }
}

let local: Location | null = null

/** Go's time.Local, initialised like initLocal (TZ, /etc/localtime). */
export function localLocation(): Location {
  if (local === null) local = initLocal()
  return local
}

/** Forget the cached Local zone (tests change TZ). */
export function resetLocalLocation(): void {
  local = null
}

function initLocal(): Location {
  const tz = process.env.TZ
  if (!tzDatabaseAvailable() && (tz === undefined || (tz !== '' && tz !== 'UTC'))) {
    const name = tz === undefined ? Intl.DateTimeFormat().resolvedOptions().timeZone : tz.replace(/^:/, '')
    const l = intlLocation(name)
    if (l !== null) return l.withName('Local')
    return UTC.withName('UTC')
  }
  if (tz === undefined) {
    try {
      return loadFrom('localtime', ['/etc']).withName('Local')
    } catch {
      // fall through
    }
  } else if (tz !== '') {
    let t = tz
    if (t[0] === ':') t = t.slice(1)
    if (t !== '' && t[0] === '/') {
      try {
        return loadFrom(t, ['']).withName(t === '/etc/localtime' ? 'Local' : t)
      } catch {
        // fall through
      }
    } else if (t !== '' && t !== 'UTC') {
      try {
        return loadFrom(t, PLATFORM_SOURCES)
      } catch {
        // fall through
      }
    }
  }
  return UTC.withName('UTC')
}

// ---------------------------------------------------------------------------------------------
// Intl fallback

function intlLocation(name: string): Location | null {
  let fmt: Intl.DateTimeFormat
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
  } catch {
    return null
  }
  return new Location(name, [{ name, offset: 0, isDST: false }], [], [], '', false, fmt)
}

function intlOffset(fmt: Intl.DateTimeFormat, sec: number): number {
  const whole = Math.floor(sec)
  const ms = whole * 1000
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return 0
  const parts = fmt.formatToParts(ms)
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0)
  const d = new Date(0)
  d.setUTCFullYear(get('year'), get('month') - 1, get('day'))
  d.setUTCHours(get('hour'), get('minute'), get('second'), 0)
  return Math.round(d.getTime() / 1000) - whole
}

const shortNameFmts = new Map<string, Intl.DateTimeFormat>()

function intlAbbrev(zone: string, sec: number, offset: number): string {
  let f = shortNameFmts.get(zone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' })
    shortNameFmts.set(zone, f)
  }
  const name = f.formatToParts(sec * 1000).find((p) => p.type === 'timeZoneName')?.value ?? ''
  if (/^[A-Z]{3,5}$/.test(name)) return name
  // tzdata style numeric abbreviations: +03, -0330
  const sign = offset < 0 ? '-' : '+'
  const a = Math.abs(offset)
  const h = String(Math.floor(a / 3600)).padStart(2, '0')
  const m = Math.floor((a % 3600) / 60)
  return m === 0 ? `${sign}${h}` : `${sign}${h}${String(m).padStart(2, '0')}`
}
