// Functions outside the core set: vectors, files, tracing, error sources, ids and fake data.

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, join } from 'node:path'
import type { Faker } from '@faker-js/faker'
import { plainErr, wrapErr } from '../errors.ts'
import { type Ctx, closure, type MessagePart } from '../query.ts'
import { type FunctionSpec, simpleFunction } from '../registry.ts'
import { bytesToString, float64, Num, parseJSON, stringToBytes, type Value, type VObject } from '../value.ts'

const require = createRequire(import.meta.url)
// Loaded on first use: faker's data is large and most mappings never ask for it.
let fakerInstance: Faker | null = null
function fakerLib(): Faker {
  fakerInstance ??= (require('@faker-js/faker') as { faker: Faker }).faker
  return fakerInstance
}
interface UlidLib {
  ulid(): string
  monotonicFactory(): () => string
}
let ulidInstance: UlidLib | null = null
function ulidLib(): UlidLib {
  ulidInstance ??= require('ulid') as UlidLib
  return ulidInstance
}

function partOf(ctx: Ctx): MessagePart | undefined {
  const parts = ctx.batch?.parts
  if (parts === undefined) return undefined
  let i = ctx.index
  if (i < 0) i += parts.length
  return parts[i]
}

/** The number types cosine_similarity accepts in a vector (Go float64/int/int64, not json.Number). */
function vector(v: Value): number[] {
  if (!Array.isArray(v)) throw plainErr('vector must be an array of numeric types')
  return v.map((x) => {
    if (typeof x === 'number') return x
    if (x instanceof Num && x.kind !== 'json' && x.kind !== 'uint')
      return x.kind === 'float' ? x.f : Number(x.big)
    throw plainErr('vector must be an array of numeric types')
  })
}

function cosine(a: number[], b: number[]): number {
  if (a.length !== b.length) throw plainErr('vectors must be equal length')
  if (a.length === 0) throw plainErr('vectors cannot be empty')
  let dot = 0
  let ssA = 0
  let ssB = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    dot += x * y
    ssA += x * x
    ssB += y * y
  }
  if (ssA === 0 || ssB === 0) throw plainErr('vectors must not be null (all zeros)')
  return dot / (Math.sqrt(ssA) * Math.sqrt(ssB))
}

/** os.ReadFile's error text for the common cases. */
function readFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'no such file or directory'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (e as Error).message
    throw plainErr(`open ${path}: ${why}`)
  }
}

/** A path relative to the mapping's directory (its import directory, else the working directory). */
function relPath(importDir: string, path: string): string {
  if (isAbsolute(path)) return path
  return importDir === '' ? path : join(importDir, path)
}

function fileFunction(name: string, rel: boolean): FunctionSpec {
  return simpleFunction(
    name,
    {
      impure: true,
      params: [
        { name: 'path', type: 'string' },
        { name: 'no_cache', type: 'bool', default: false },
      ],
    },
    (args) => {
      const path = rel ? relPath(args.importDir, args.string('path')) : args.string('path')
      if (args.bool('no_cache')) return () => readFile(path)
      const cached = readFile(path)
      return () => cached
    },
  )
}

/** W3C trace context: `00-<trace id>-<span id>-<flags>`. */
const TRACEPARENT_RE = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/

function traceparentOf(ctx: Ctx): string | null {
  const tp = partOf(ctx)?.traceparent
  if (tp === undefined || tp === null) return null
  const m = TRACEPARENT_RE.exec(tp)
  if (m === null || /^0+$/.test(m[1] as string) || /^0+$/.test(m[2] as string)) return null
  return tp
}

const FAKE_FUNCTIONS: Record<string, (faker: Faker) => Value> = {
  latitude: (faker) => float64(faker.location.latitude()),
  longitude: (faker) => float64(faker.location.longitude()),
  unix_time: (faker) => Math.floor(faker.date.past({ years: 50 }).getTime() / 1000),
  date: (faker) => faker.date.past({ years: 50 }).toISOString().slice(0, 10),
  time_string: (faker) => faker.date.anytime().toISOString().slice(11, 19),
  month_name: (faker) => faker.date.month(),
  year_string: (faker) => String(faker.date.past({ years: 50 }).getUTCFullYear()),
  day_of_week: (faker) => faker.date.weekday(),
  day_of_month: (faker) => String(faker.number.int({ min: 1, max: 31 })),
  timestamp: (faker) => faker.date.past({ years: 50 }).toISOString().slice(0, 19).replace('T', ' '),
  century: (faker) =>
    faker.helpers.arrayElement(['I', 'II', 'III', 'IV', 'V', 'X', 'XV', 'XIX', 'XX', 'XXI']),
  timezone: (faker) => faker.location.timeZone(),
  time_period: (faker) => faker.helpers.arrayElement(['AM', 'PM']),
  email: (faker) => faker.internet.email(),
  mac_address: (faker) => faker.internet.mac(),
  domain_name: (faker) => faker.internet.domainName(),
  url: (faker) => faker.internet.url(),
  username: (faker) => faker.internet.username(),
  ipv4: (faker) => faker.internet.ipv4(),
  ipv6: (faker) => faker.internet.ipv6(),
  password: (faker) => faker.internet.password(),
  jwt: (faker) => faker.internet.jwt(),
  word: (faker) => faker.lorem.word(),
  sentence: (faker) => faker.lorem.sentence(),
  paragraph: (faker) => faker.lorem.paragraph(),
  cc_type: (faker) => faker.finance.creditCardIssuer(),
  cc_number: (faker) => faker.finance.creditCardNumber().replaceAll('-', ''),
  currency: (faker) => faker.finance.currencyCode(),
  amount_with_currency: (faker) => `${faker.finance.currencyCode()} ${faker.finance.amount()}`,
  title_male: (faker) => faker.person.prefix('male'),
  title_female: (faker) => faker.person.prefix('female'),
  first_name: (faker) => faker.person.firstName(),
  first_name_male: (faker) => faker.person.firstName('male'),
  first_name_female: (faker) => faker.person.firstName('female'),
  last_name: (faker) => faker.person.lastName(),
  name: (faker) => faker.person.fullName(),
  gender: (faker) => faker.person.sex(),
  chinese_first_name: (faker) => faker.person.firstName(),
  chinese_last_name: (faker) => faker.person.lastName(),
  chinese_name: (faker) => faker.person.fullName(),
  phone_number: (faker) => faker.phone.number({ style: 'national' }),
  toll_free_phone_number: (faker) => `(888) ${faker.string.numeric(3)}-${faker.string.numeric(4)}`,
  e164_phone_number: (faker) => faker.phone.number({ style: 'international' }),
  uuid_hyphenated: (faker) => faker.string.uuid(),
  uuid_digit: (faker) => faker.string.uuid().replaceAll('-', ''),
  '': (faker) => faker.string.alpha(25),
}

/** bwmarrin/snowflake: 41 bits of milliseconds since 2010-11-04, 10 bits node, 12 bits sequence. */
const SNOWFLAKE_EPOCH = 1288834974657n

function snowflakeNode(node: number): () => string {
  if (node < 0 || node > 1023) throw plainErr('Node number must be between 0 and 1023')
  let last = -1n
  let step = 0n
  return () => {
    let now = BigInt(Date.now()) - SNOWFLAKE_EPOCH
    if (now === last) {
      step = (step + 1n) & 4095n
      if (step === 0n) {
        while (now <= last) now = BigInt(Date.now()) - SNOWFLAKE_EPOCH
      }
    } else step = 0n
    last = now
    return ((now << 22n) | (BigInt(node) << 12n) | step).toString()
  }
}

/**
 * Caches a host offers to `cache_*` functions. Bloblang runs synchronously, so a provider must
 * answer synchronously (in-memory caches); without one the functions fail like a missing resource.
 */
export interface CacheProvider {
  get(resource: string, key: string): Uint8Array | string | undefined
  set(resource: string, key: string, value: string): void
  /** Returns false when the key already exists. */
  add(resource: string, key: string, value: string): boolean
  delete(resource: string, key: string): void
  has(resource: string): boolean
}

export const cacheProviders: { current: CacheProvider | null } = { current: null }

// Bento words the two cases apart: a mapping run with no resources at all (`bento blobl`, a bare
// Bloblang environment) finds no cache; a stream's resources that lack the label cannot locate it.
function cacheOf(resource: string): CacheProvider {
  const p = cacheProviders.current
  if (p === null) throw plainErr('cache not found')
  if (!p.has(resource)) throw plainErr(`unable to locate resource: ${resource}`)
  return p
}

export const extraFunctions: FunctionSpec[] = [
  {
    name: 'cosine_similarity',
    params: [
      { name: 'a', type: 'unknown' },
      { name: 'b', type: 'unknown' },
    ],
    ctor: (args) => {
      const a = args.value('a')
      const b = args.value('b')
      return closure('function cosine_similarity', () => float64(cosine(vector(a), vector(b))))
    },
  },
  fileFunction('file', false),
  fileFunction('file_rel', true),
  simpleFunction('file_rel_json', { impure: true, params: [{ name: 'path', type: 'string' }] }, (args) => {
    const path = args.string('path')
    const bytes = readFile(relPath(args.importDir, path))
    let parsed: Value
    try {
      parsed = parseJSON(bytesToString(bytes))
    } catch (e) {
      throw wrapErr(`failed to parse JSON from ${path}`, e)
    }
    return () => parsed
  }),
  simpleFunction('tracing_span', {}, () => (ctx) => {
    const tp = traceparentOf(ctx)
    // Without a span Bento still has the no-op one, which carries nothing.
    const carrier: VObject = {}
    if (tp !== null) carrier.traceparent = tp
    return carrier
  }),
  simpleFunction('tracing_id', {}, () => (ctx) => {
    const tp = traceparentOf(ctx)
    return tp === null ? '00000000000000000000000000000000' : tp.slice(3, 35)
  }),
  simpleFunction('flow_id', {}, () => (ctx) => partOf(ctx)?.flowId ?? ''),
  simpleFunction('error_source_label', {}, () => (ctx) => partOf(ctx)?.errorSource?.label ?? null),
  simpleFunction('error_source_path', {}, () => (ctx) => {
    const p = partOf(ctx)?.errorSource?.path
    return p === undefined ? null : p
  }),
  simpleFunction('error_source_type', {}, () => (ctx) => partOf(ctx)?.errorSource?.type ?? null),
  simpleFunction(
    'ulid',
    {
      params: [
        { name: 'encoding', type: 'string', default: 'crockford' },
        { name: 'random_source', type: 'string', default: 'secure_random' },
      ],
    },
    (args) => {
      const encoding = args.string('encoding')
      if (encoding !== 'crockford' && encoding !== 'hex') throw plainErr(`invalid ulid encoding: ${encoding}`)
      const source = args.string('random_source')
      if (source !== 'secure_random' && source !== 'fast_random')
        throw plainErr(`invalid randomness source: ${source}`)
      // oklog/ulid with a reader: a fresh random part for every id (not monotonic).
      const lib = ulidLib()
      const make = source === 'fast_random' ? lib.monotonicFactory() : () => lib.ulid()
      return () => {
        const id = make()
        return encoding === 'crockford' ? id : ulidHex(id)
      }
    },
  ),
  simpleFunction('snowflake_id', { params: [{ name: 'node_id', type: 'int', default: 1 }] }, (args) =>
    snowflakeNode(args.int('node_id')),
  ),
  simpleFunction('fake', { params: [{ name: 'function', type: 'string', default: '' }] }, (args) => {
    const fn = args.string('function')
    return () => {
      const gen = FAKE_FUNCTIONS[fn.toLowerCase()]
      if (gen === undefined) throw plainErr(`invalid faker function: ${fn}`)
      return gen(fakerLib())
    }
  }),
  simpleFunction(
    'cache_get',
    {
      impure: true,
      params: [
        { name: 'resource', type: 'string' },
        { name: 'key', type: 'string' },
      ],
    },
    (args) => {
      const resource = args.string('resource')
      const key = args.string('key')
      return () => {
        const v = cacheOf(resource).get(resource, key)
        if (v === undefined) throw plainErr('key does not exist')
        // a cache holds bytes, and Bento gives them as bytes (JSON shows them in base64)
        return typeof v === 'string' ? stringToBytes(v) : v
      }
    },
  ),
  simpleFunction(
    'cache_set',
    {
      impure: true,
      params: [
        { name: 'resource', type: 'string' },
        { name: 'key', type: 'string' },
        { name: 'value', type: 'string' },
      ],
    },
    (args) => {
      const resource = args.string('resource')
      const key = args.string('key')
      const value = args.string('value')
      return () => {
        cacheOf(resource).set(resource, key, value)
        return null
      }
    },
  ),
  simpleFunction(
    'cache_add',
    {
      impure: true,
      params: [
        { name: 'resource', type: 'string' },
        { name: 'key', type: 'string' },
        { name: 'value', type: 'string' },
      ],
    },
    (args) => {
      const resource = args.string('resource')
      const key = args.string('key')
      const value = args.string('value')
      return () => {
        if (!cacheOf(resource).add(resource, key, value)) throw plainErr('key already exists')
        return null
      }
    },
  ),
  simpleFunction(
    'cache_delete',
    {
      impure: true,
      params: [
        { name: 'resource', type: 'string' },
        { name: 'key', type: 'string' },
      ],
    },
    (args) => {
      const resource = args.string('resource')
      const key = args.string('key')
      return () => {
        cacheOf(resource).delete(resource, key)
        return null
      }
    },
  ),
]

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A ULID's 16 bytes as hex (MarshalBinary + hex), from its Crockford text. */
function ulidHex(id: string): string {
  let n = 0n
  for (const c of id) n = n * 32n + BigInt(CROCKFORD.indexOf(c))
  return n.toString(16).padStart(32, '0')
}
