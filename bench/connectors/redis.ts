// Redis Streams → mapping → Redis Streams, side by side on the same server: the same config run
// by the `bento` binary and by ours (this script started again as a child with --run-ours, the
// stream built from @bento-ts/core and @bento-ts/redis), one after the other. The source stream
// is written once (N entries of 1 KiB); each engine reads it with its own consumer group and
// writes its own sink stream. Throughput is N ÷ the wall time from starting the process until
// its sink holds N entries (start-up included, as in bench/stream); each sink is then checked.
//
//   node bench/connectors/redis.ts [--messages 1000000] [--limit 500] [--batch 100] [--bento PATH]
//                                  [--no-build] [--json]
//
// Bento is `ensureTool('bento')` (the pinned v1.20.0 CLI) unless --bento names another binary,
// for when `go install` cannot fetch it: any Bento v1.20.0 CLI with the redis components will do.

import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { ensureTool, repoRoot, requireService } from '@bento-ts/test-services'
import { Redis } from 'ioredis'
import { type Column, printTable } from '../lib/table.ts'

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    limit: { type: 'string', default: '500' },
    batch: { type: 'string', default: '100' },
    bento: { type: 'string' },
    build: { type: 'boolean', default: true },
    json: { type: 'boolean', default: false },
    'run-ours': { type: 'string' },
  },
  allowNegative: true,
})

// ---------------------------------------------------------------------------------------------
// The child: our engine running one config until SIGTERM.

if (opts['run-ours'] !== undefined) {
  const { standardEnvironment, startStreamFromFile } = await import('@bento-ts/core')
  const { register } = await import('@bento-ts/redis')
  const env = standardEnvironment()
  register(env)
  const stream = await startStreamFromFile(opts['run-ours'], env)
  process.once('SIGTERM', () => {
    void stream.stop(stream.shutdownTimeoutMs).then(() => process.exit(0))
  })
  await stream.done
  process.exit(0)
}

// ---------------------------------------------------------------------------------------------

const messages = Number(opts.messages)
if (!Number.isInteger(messages) || messages <= 0) throw new Error(`--messages ${opts.messages}: not a count`)
const limit = Number(opts.limit)
const batch = Number(opts.batch)
const url = requireService('redis').REDIS_URL!
const log = (text: string) => {
  if (!opts.json) process.stderr.write(text)
}

const payloadSize = 1024
const source = 'bench:redis:source'
const sinkOf = (engine: Engine) => `bench:redis:sink:${engine}`
type Engine = 'bento' | 'ours'

const mapping = `root.id = this.id
root.tag = "item-" + this.id.string()
root.payload = this.payload
root.engine_checked = true`

function config(engine: Engine): string {
  return `http:
  enabled: false
logger:
  level: WARN
input:
  redis_streams:
    url: ${url}
    streams: [${source}]
    consumer_group: bench-${engine}
    client_id: bench
    limit: ${limit}
pipeline:
  processors:
    - mapping: |
${mapping
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
output:
  redis_streams:
    url: ${url}
    stream: ${sinkOf(engine)}
    batching:
      count: ${batch}
      period: 10ms
`
}

/** The reference binary: --bento when given, else `ensureTool('bento')`. */
async function bentoBinary(): Promise<string> {
  if (opts.bento !== undefined) return opts.bento
  return ensureTool('bento')
}

function client(): Redis {
  const u = new URL(url)
  const r = new Redis({ host: u.hostname, port: Number(u.port), protocol: 2 })
  r.on('error', () => {})
  return r
}

/** N entries of ≈ 1 KiB: {"id": i, "payload": "…"}, written in pipelines of 10k. */
async function writeSource(redis: Redis): Promise<void> {
  await redis.del(source)
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(40)
  for (let from = 0; from < messages; from += 10_000) {
    const pipeline = redis.pipeline()
    for (let i = from; i < Math.min(messages, from + 10_000); i++) {
      const head = JSON.stringify({ id: i, payload: '' })
      const payload = filler.slice(0, payloadSize - head.length)
      pipeline.xadd(source, '*', 'body', JSON.stringify({ id: i, payload }))
    }
    await pipeline.exec()
  }
}

interface Measured {
  seconds: number
  peakRssMiB: number
  sinkLength: number
}

/** Starts the engine, waits for its sink to hold every message, reads its peak RSS, stops it. */
async function runEngine(redis: Redis, engine: Engine, command: string, args: string[]): Promise<Measured> {
  const sink = sinkOf(engine)
  await redis.del(sink)
  await redis.xgroup('DESTROY', source, `bench-${engine}`).catch(() => {})
  const started = performance.now()
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += c.toString()
  })
  let exited = false
  child.on('exit', () => {
    exited = true
  })
  try {
    for (;;) {
      if (exited) throw new Error(`${engine} exited early:\n${stderr.slice(-2000)}`)
      const n = await redis.xlen(sink)
      if (n >= messages) break
      await sleep(20)
    }
    const seconds = (performance.now() - started) / 1000
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
    const peakRssMiB = Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0) / 1024
    return { seconds, peakRssMiB, sinkLength: 0 }
  } finally {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await Promise.race([gone, sleep(20_000)])
      if (!exited) child.kill('SIGKILL')
    }
  }
}

/** Every sink entry carries a distinct id and the mapped shape; returns the entries seen. */
async function checkSink(
  redis: Redis,
  engine: Engine,
): Promise<{ length: number; distinct: number; ok: boolean }> {
  const sink = sinkOf(engine)
  const seen = new Uint8Array(messages)
  let length = 0
  let distinct = 0
  let ok = true
  let start = '-'
  for (;;) {
    const page = (await redis.xrange(sink, start, '+', 'COUNT', 20_000)) as [string, string[]][]
    for (const [, fields] of page) {
      length++
      const doc = JSON.parse(fields[fields.indexOf('body') + 1]!) as {
        id: number
        payload: string
        tag: string
        engine_checked: boolean
      }
      if (doc.engine_checked !== true || doc.tag !== `item-${doc.id}` || doc.payload.length < 900) ok = false
      if (seen[doc.id] === 0) {
        seen[doc.id] = 1
        distinct++
      }
    }
    if (page.length < 20_000) break
    start = `(${page.at(-1)![0]}`
  }
  return { length, distinct, ok: ok && distinct === messages }
}

if (opts.build) {
  const built = spawnSync(
    join(repoRoot, 'node_modules/.bin/turbo'),
    ['run', 'build', '--filter=@bento-ts/redis...', '--output-logs=errors-only'],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  if (built.status !== 0) throw new Error('building @bento-ts/redis failed')
}
const bento = await bentoBinary()
const redis = client()
const work = mkdtempSync(join(tmpdir(), 'bench-redis-'))
const results: Partial<Record<Engine, Measured & { distinct: number; ok: boolean }>> = {}
try {
  log(`redis: writing ${messages.toLocaleString('en')} entries of 1 KiB to ${source}… `)
  const t0 = performance.now()
  await writeSource(redis)
  log(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  log('redis_streams → mapping → redis_streams\n')
  for (const engine of ['bento', 'ours'] as const) {
    const file = join(work, `${engine}.yaml`)
    writeFileSync(file, config(engine))
    const [command, args] =
      engine === 'bento'
        ? [bento, ['-c', file]]
        : [process.execPath, [import.meta.filename, '--run-ours', file]]
    log(`  ${engine}… `)
    const measured = await runEngine(redis, engine, command, args)
    const checked = await checkSink(redis, engine)
    results[engine] = { ...measured, sinkLength: checked.length, distinct: checked.distinct, ok: checked.ok }
    log(
      `${measured.seconds.toFixed(2)} s, ${measured.peakRssMiB.toFixed(0)} MiB, ${checked.length} in the sink\n`,
    )
    await redis.del(sinkOf(engine))
    await redis.xgroup('DESTROY', source, `bench-${engine}`).catch(() => {})
  }
} finally {
  await redis.del(source, sinkOf('bento'), sinkOf('ours')).catch(() => {})
  redis.disconnect()
  rmSync(work, { recursive: true, force: true })
}

const b = results.bento!
const o = results.ours!
const row = {
  scenario: 'redis_streams→mapping→redis_streams',
  messages,
  bento_msgs_per_s: Math.round(messages / b.seconds),
  ours_msgs_per_s: Math.round(messages / o.seconds),
  /** ours / Bento: > 1 means ours is faster */
  speed_ratio: Number((b.seconds / o.seconds).toFixed(2)),
  bento_peak_rss_mib: Number(b.peakRssMiB.toFixed(1)),
  ours_peak_rss_mib: Number(o.peakRssMiB.toFixed(1)),
  /** Bento / ours: > 1 means ours uses less memory */
  memory_ratio: Number((b.peakRssMiB / o.peakRssMiB).toFixed(2)),
  bento_sink: b.sinkLength,
  ours_sink: o.sinkLength,
  same_output: b.ok && o.ok,
}
if (opts.json) console.log(JSON.stringify([row], null, 2))
else {
  const columns: Column<typeof row>[] = [
    ['scenario', 'scenario', 36],
    ['messages', 'messages', 10],
    ['bento_msgs_per_s', 'Bento msg/s', 12],
    ['ours_msgs_per_s', 'ours msg/s', 11],
    ['speed_ratio', 'speed ours/Bento', 17],
    ['bento_peak_rss_mib', 'Bento RSS MiB', 14],
    ['ours_peak_rss_mib', 'ours RSS MiB', 13],
    ['memory_ratio', 'memory Bento/ours', 18],
    ['bento_sink', 'Bento sink', 11],
    ['ours_sink', 'ours sink', 10],
    ['same_output', 'all delivered', 14],
  ]
  console.log(
    `\nspeed ratio = ours msg/s ÷ Bento msg/s (> 1: ours is faster); memory ratio = Bento peak RSS ÷ ours (> 1: ours uses less)` +
      `\ninput limit ${limit}, output batching count ${batch} (period 10ms), max_in_flight 64, 1 KiB entries`,
  )
  printTable([row], columns)
}
// A benchmark whose engines did not both deliver every message compares different work.
if (!row.same_output) process.exitCode = 1
