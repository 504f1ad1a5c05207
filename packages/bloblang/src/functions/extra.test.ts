// Non-deterministic and environment functions, checked by properties (format, range,
// monotonicity) rather than literal output.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { cacheProviders, parse } from '../index.ts'

/** The new root: JSON when it is a document, the raw text when the mapping made a string. */
function run(mapping: string, input: Parameters<ReturnType<typeof parse>['apply']>[0] = { content: '{}' }) {
  const text = new TextDecoder().decode(parse(mapping).apply(input).content)
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{26}$/

function ulidTime(id: string): number {
  let t = 0
  for (const c of id.slice(0, 10)) t = t * 32 + '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(c)
  return t
}

describe('ids', () => {
  test('ulid: Crockford text whose time part is now, hex form of 16 bytes', () => {
    const before = Date.now()
    const ids = run('root = range(0, 50).map_each(_ -> ulid())') as string[]
    const after = Date.now()
    for (const id of ids) {
      expect(id).toMatch(CROCKFORD)
      expect(ulidTime(id)).toBeGreaterThanOrEqual(before)
      expect(ulidTime(id)).toBeLessThanOrEqual(after)
    }
    expect(new Set(ids).size).toBe(ids.length)
    expect(run('root = ulid("hex")')).toMatch(/^[0-9a-f]{32}$/)
  })

  test('ulid with fast_random is strictly increasing', () => {
    const ids = run('root = range(0, 200).map_each(_ -> ulid("crockford", "fast_random"))') as string[]
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true)
  })

  test('snowflake_id: increasing, node bits and a timestamp of now', () => {
    const ids = (run('root = range(0, 300).map_each(_ -> snowflake_id(7))') as string[]).map(BigInt)
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true)
    for (const id of ids) {
      expect((id >> 12n) & 1023n).toBe(7n)
      const ms = Number(id >> 22n) + 1288834974657
      expect(Math.abs(ms - Date.now())).toBeLessThan(60_000)
    }
  })

  test('uuid_v4, nanoid and ksuid shapes', () => {
    expect(run('root = uuid_v4()')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(run('root = nanoid()')).toMatch(/^[A-Za-z0-9_-]{21}$/)
    expect(run('root = nanoid(8, "ab")')).toMatch(/^[ab]{8}$/)
    expect(run('root = ksuid()')).toMatch(/^[0-9A-Za-z]{27}$/)
  })
})

describe('random and time', () => {
  test('random_int stays within [min, max]', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1000 }), (min, span) => {
        const vals = run(
          `root = range(0, 20).map_each(_ -> random_int(min: ${min}, max: ${min + span}))`,
        ) as number[]
        return vals.every((v) => Number.isInteger(v) && v >= min && v <= min + span)
      }),
      { numRuns: 30 },
    )
  })

  test('now() and timestamp_unix*() agree with the clock and never go back', () => {
    const before = Date.now()
    const out = run(
      'root = [now(), timestamp_unix(), timestamp_unix_milli(), timestamp_unix_micro(), timestamp_unix_nano(), timestamp_unix_milli()]',
    ) as [string, number, number, number, number, number]
    const after = Date.now()
    expect(Date.parse(out[0])).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
    expect(Date.parse(out[0])).toBeLessThanOrEqual(after + 1)
    expect(out[1]).toBeGreaterThanOrEqual(Math.floor(before / 1000))
    expect(out[2]).toBeGreaterThanOrEqual(before)
    expect(out[5]).toBeGreaterThanOrEqual(out[2])
    expect(Math.floor(out[3] / 1000)).toBeGreaterThanOrEqual(before)
    expect(Math.floor(out[4] / 1e6)).toBeLessThanOrEqual(after)
  })

  test('counter() counts up from min and wraps at max', () => {
    const exe = parse('root = counter(min: 3, max: 5)')
    const got = Array.from({ length: 5 }, () =>
      new TextDecoder().decode(exe.apply({ content: '{}' }).content),
    )
    expect(got).toEqual(['3', '4', '5', '3', '4'])
  })
})

describe('environment and message context', () => {
  test('hostname() and env()', () => {
    expect(run('root = hostname()')).toBe(hostname())
    process.env.BLOBLANG_EXTRA_TEST = 'x1'
    expect(run('root = env("BLOBLANG_EXTRA_TEST")')).toBe('x1')
  })

  test('file(), file_rel() and file_rel_json() read files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bloblang-file-'))
    writeFileSync(join(dir, 'doc.json'), '{"a":[1,2]}')
    expect(run(`root = file("${join(dir, 'doc.json')}").parse_json()`)).toEqual({ a: [1, 2] })
    const rel = parse('root = file_rel_json("doc.json")', { importDir: dir })
    expect(new TextDecoder().decode(rel.apply({ content: '{}' }).content)).toBe('{"a":[1,2]}')
    expect(() => parse(`root = file("${join(dir, 'missing')}")`)).toThrow(/no such file or directory/)
  })

  test('tracing_span() and tracing_id() read the traceparent', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    expect(run('root = [tracing_span(), tracing_id()]', { content: '{}', traceparent: tp })).toEqual([
      { traceparent: tp },
      '4bf92f3577b34da6a3ce929d0e0e4736',
    ])
    expect(run('root = [tracing_span(), tracing_id()]')).toEqual([{}, '0'.repeat(32)])
  })

  test('error_source_*() and flow_id() read the message context', () => {
    const input = {
      content: '{}',
      error: 'boom',
      errorSource: { label: 'l', path: 'root.pipeline.processors.0', type: 'mapping' },
      flowId: 'f-1',
    }
    expect(
      run(
        'root = [error(), error_source_label(), error_source_path(), error_source_type(), flow_id()]',
        input,
      ),
    ).toEqual(['boom', 'l', 'root.pipeline.processors.0', 'mapping', 'f-1'])
  })

  test('cache_* functions use the registered provider', () => {
    const store = new Map<string, string>()
    cacheProviders.current = {
      has: (r) => r === 'mem',
      get: (_r, k) => store.get(k),
      set: (_r, k, v) => {
        store.set(k, v)
      },
      add: (_r, k, v) => {
        if (store.has(k)) return false
        store.set(k, v)
        return true
      },
      delete: (_r, k) => {
        store.delete(k)
      },
    }
    try {
      // As Bento v1.20.0: set, add and delete give null; get gives the bytes the cache holds (base64 here, as JSON shows bytes).
      expect(
        run('root = [cache_set("mem", "k", "v"), cache_get("mem", "k"), cache_add("mem", "n", "1")]'),
      ).toEqual([null, 'dg==', null])
      expect(run('root = cache_get("mem", "k").type()')).toBe('bytes')
      expect(run('root = cache_get("mem", "k") + "_s"')).toBe('v_s')
      expect(() => run('root = cache_add("mem", "k", "again")')).toThrow(/key already exists/)
      expect(run('root = cache_delete("mem", "k")')).toBe(null)
      expect(() => run('root = cache_get("mem", "k")')).toThrow(/key does not exist/)
      expect(() => run('root = cache_get("other", "k")')).toThrow(/unable to locate resource: other/)
    } finally {
      cacheProviders.current = null
    }
    // no resources at all, as Bento's bare Bloblang environment
    expect(() => run('root = cache_get("mem", "k")')).toThrow(/cache not found/)
  })

  test('fake() gives values of the documented kinds', () => {
    const out = run(
      'root = [fake("email"), fake("latitude"), fake("unix_time"), fake("uuid_hyphenated"), fake("")]',
    ) as [string, number, number, string, string]
    expect(out[0]).toMatch(/^\S+@\S+$/)
    expect(Math.abs(out[1])).toBeLessThanOrEqual(90)
    expect(Number.isInteger(out[2])).toBe(true)
    expect(out[3]).toMatch(/^[0-9a-f-]{36}$/)
    expect(typeof out[4]).toBe('string')
  })
})

describe('round trips', () => {
  test('compress/decompress round-trips every algorithm', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const exe = parse(
          'root = ["gzip","pgzip","zlib","flate","lz4","snappy","zstd"].map_each(a -> this.s.compress(a).decompress(a).string())',
        )
        const out = JSON.parse(
          new TextDecoder().decode(exe.apply({ content: JSON.stringify({ s }) }).content),
        )
        return (out as string[]).every((x) => x === s)
      }),
      { numRuns: 40 },
    )
  })

  test('format_msgpack/parse_msgpack round-trips JSON documents', () => {
    fc.assert(
      fc.property(fc.json(), (doc) => {
        const exe = parse('root.d = this.d.format_msgpack().parse_msgpack()')
        const out = new TextDecoder().decode(exe.apply({ content: `{"d":${doc}}` }).content)
        return isDeepStrictEqual((JSON.parse(out) as { d: unknown }).d, JSON.parse(doc))
      }),
      { numRuns: 100 },
    )
  })
})
