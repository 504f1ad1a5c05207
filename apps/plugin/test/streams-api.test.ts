import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureTool, eventually, freePort } from '@bento-ts/test-services'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

// One request script against `bento streams` and against ours: the same status codes, content
// types and bodies. What is bound to differ is normalised first: uptimes (numbers of seconds),
// the column of a lint position (Bento counts columns its own way), the wording of a lint
// problem (ours names the path and suggests a fix) and which metrics a stream has.
const main = join(import.meta.dirname, '../src/main.ts')
const children: ChildProcess[] = []

async function startStreams(
  command: string,
  args: string[],
  dir: string,
  flags: string[] = [],
): Promise<string> {
  const port = await freePort()
  const root = join(dir, `root-${port}.yaml`)
  writeFileSync(root, `http:\n  address: 127.0.0.1:${port}\nlogger:\n  level: none\n`)
  const child = spawn(command, [...args, '-c', root, 'streams', ...flags, join(dir, 'streams')], {
    stdio: 'ignore',
  })
  children.push(child)
  const base = `http://127.0.0.1:${port}`
  await eventually(
    () =>
      fetch(`${base}/ping`).then(
        (res) => res.status === 200,
        () => false,
      ),
    { timeoutMs: 60_000, what: `${command} streams on port ${port}` },
  )
  return base
}

const generate = (mapping: string) =>
  `input:\n  generate:\n    mapping: '${mapping}'\n    interval: 1s\noutput:\n  drop: {}\n`

const script: { method: string; path: string; body?: string; settle?: boolean }[] = [
  { method: 'GET', path: '/streams' },
  { method: 'GET', path: '/streams/foo' },
  { method: 'GET', path: '/streams/nope' },
  { method: 'POST', path: '/streams/bar', body: generate('root = 1') },
  { method: 'POST', path: '/streams/bar', body: generate('root = 1') },
  { method: 'GET', path: '/streams/bar' },
  { method: 'POST', path: '/streams/baz', body: 'input:\n  nope: {}\noutput:\n  drop: {}\n' },
  { method: 'POST', path: '/streams/baz', body: 'input:\n  generate:\n    mappin: x\n' },
  { method: 'POST', path: '/streams/baz?chilled=true', body: `${generate('root = 2')}` },
  { method: 'PATCH', path: '/streams/bar', body: 'input:\n  generate:\n    interval: 2s\n' },
  { method: 'GET', path: '/streams/bar' },
  { method: 'PATCH', path: '/streams/nope', body: 'input: {}\n' },
  { method: 'PUT', path: '/streams/bar', body: generate('root = 3') },
  { method: 'GET', path: '/streams/bar', settle: true },
  { method: 'GET', path: '/streams/bar/stats' },
  { method: 'GET', path: '/streams/nope/stats' },
  { method: 'POST', path: '/streams/bar/stats' },
  { method: 'PUT', path: '/streams/nope', body: generate('root = 3') },
  { method: 'DELETE', path: '/streams/baz' },
  { method: 'DELETE', path: '/streams/baz' },
  { method: 'GET', path: '/streams' },
  { method: 'HEAD', path: '/streams/bar' },
  { method: 'GET', path: '/ready' },
  { method: 'POST', path: '/resources/cache/shared', body: 'memory:\n  default_ttl: 5m\n' },
  { method: 'POST', path: '/resources/cache/shared', body: 'memory:\n  default_tl: 5m\n' },
  { method: 'POST', path: '/resources/nope/shared', body: 'memory: {}\n' },
  { method: 'GET', path: '/resources/cache/shared' },
  {
    method: 'POST',
    path: '/streams/cached',
    body: `input:\n  generate:\n    mapping: 'root = "a"'\n    count: 1\npipeline:\n  processors:\n    - cache:\n        resource: shared\n        operator: set\n        key: k\n        value: v\noutput:\n  drop: {}\n`,
  },
  {
    method: 'POST',
    path: '/streams',
    body: `a:\n  ${generate('root = 1').replaceAll('\n', '\n  ')}\nfoo:\n  ${generate('root = "hi"').replaceAll('\n', '\n  ')}\n`,
  },
  { method: 'GET', path: '/streams' },
  { method: 'GET', path: '/streams/a' },
  { method: 'POST', path: '/streams', body: 'a:\n  input:\n    generate:\n      mappin: x\n' },
  { method: 'PUT', path: '/streams' },
  { method: 'GET', path: '/endpoints' },
  { method: 'GET', path: '/ping' },
]

interface Answer {
  request: string
  status: number
  type: string | null
  body: unknown
}

function normalise(path: string, type: string | null, text: string): unknown {
  if (type?.startsWith('application/json') !== true) {
    // `(line,col)` → `(line)`: Bento's columns are its own
    return text.replace(/\((\d+),\d+\)/g, '($1)')
  }
  const body = JSON.parse(text) as Record<string, unknown>
  if (Array.isArray(body.lint_errors)) {
    return {
      lint_errors: (body.lint_errors as string[]).map((l) =>
        l.replace(/^(stream '[^']+': )?\((\d+),\d+\).*$/, '$1line $2'),
      ),
    }
  }
  if (path.endsWith('/stats')) {
    // the metrics each implementation has differ; both count what went in and out, and uptime
    const names = new Set(Object.keys(body).map((k) => k.replace(/\{.*$/, '')))
    return ['input_received', 'output_sent', 'uptime_ns'].filter((n) => names.has(n))
  }
  const uptimes = (v: Record<string, unknown>) => ({
    ...v,
    ...('uptime' in v ? { uptime: typeof v.uptime } : {}),
    ...('uptime_str' in v ? { uptime_str: typeof v.uptime_str } : {}),
  })
  if ('uptime' in body) return uptimes(body)
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, uptimes(v as Record<string, unknown>)]))
}

async function play(base: string, steps = script): Promise<Answer[]> {
  const out: Answer[] = []
  for (const step of steps) {
    const res = await fetch(`${base}${step.path}`, {
      method: step.method,
      ...(step.body === undefined ? {} : { body: step.body }),
    })
    const text = await res.text()
    const type = res.headers.get('content-type')
    out.push({
      request: `${step.method} ${step.path}`,
      status: res.status,
      type,
      body: normalise(step.path, type, text),
    })
    // a replaced stream has read something before its stats are asked for
    if (step.settle === true) await new Promise((r) => setTimeout(r, 300))
  }
  return out
}

let dir = ''
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'streams-api-'))
  mkdirSync(join(dir, 'streams'))
  writeFileSync(join(dir, 'streams', 'foo.yaml'), generate('root = "hi"'))
}, 60_000)

afterAll(() => {
  for (const child of children) child.kill('SIGTERM')
})

describe('streams REST API', () => {
  test('the same request script gives the same answers from bento streams and ours', async () => {
    const bento = await ensureTool('bento-lite')
    const [theirs, ours] = await Promise.all([
      startStreams(bento, [], dir),
      startStreams(process.execPath, [main], dir),
    ])
    const want = await play(theirs)
    const got = await play(ours)
    expect(got).toEqual(want)
    // the script reached real answers, not a wall of 404s
    expect(want.filter((a) => a.status === 200).length).toBeGreaterThan(15)
  }, 900_000)

  test('--no-api leaves the status endpoints only, as bento streams --no-api does', async () => {
    const bento = await ensureTool('bento-lite')
    const [theirs, ours] = await Promise.all([
      startStreams(bento, [], dir, ['--no-api']),
      startStreams(process.execPath, [main], dir, ['--no-api']),
    ])
    const steps = [
      { method: 'GET', path: '/streams' },
      { method: 'GET', path: '/streams/foo' },
      { method: 'POST', path: '/streams/bar', body: generate('root = 1') },
      { method: 'POST', path: '/resources/cache/shared', body: 'memory: {}\n' },
      { method: 'GET', path: '/ready' },
      { method: 'GET', path: '/ping' },
    ]
    const want = await play(theirs, steps)
    expect(await play(ours, steps)).toEqual(want)
    expect(want.map((a) => a.status)).toEqual([404, 404, 404, 404, 200, 200])
  }, 300_000)
})
