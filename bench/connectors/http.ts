// http_server under load, side by side: the same config (http_server → mapping → drop) served by
// the Bento binary and by ours, one after the other, each loaded from a second process on
// loopback by autocannon. Prints requests per second and p99 latency of each, with the ratios.
//
//   node bench/connectors/http.ts [--duration 10] [--warmup 3] [--connections 50] [--rounds 3]
//                                 [--bento PATH] [--no-build] [--json]
//
// Each round runs both engines, alternating which goes first; the medians over the rounds are
// printed (the machine is shared, so single runs are noisy).
//
// Bento is --bento, or the `bento` binary from ensureTool('bento') when it is built, otherwise
// `bento-lite` (Bento v1.20.0's own CLI with the standard components, http_server among them); the
// output names the one used. Ours runs in a child node process started by this script with `--serve <config>`.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    build: { type: 'boolean', default: true },
    json: { type: 'boolean', default: false },
    serve: { type: 'string' },
    bento: { type: 'string' },
  },
  allowNegative: true,
})

// ---------------------------------------------------------------------------------------------
// `--serve <config>`: the child process that runs our stream until SIGTERM.

if (opts.serve !== undefined) {
  const { standardEnvironment, startStreamFromFile } = await import('@bento-ts/core')
  const { register } = await import('@bento-ts/http')
  const env = standardEnvironment()
  register(env)
  const stream = await startStreamFromFile(opts.serve, env)
  process.once('SIGTERM', () => {
    stream.stop(2000).then(() => process.exit(0))
  })
  await stream.done
  process.exit(0)
}

const { ensureTool, repoRoot, toolPath } = await import('@bento-ts/test-services')
const duration = Number(opts.duration)
const warmup = Number(opts.warmup)
const connections = Number(opts.connections)
const rounds = Math.max(1, Number(opts.rounds))
const work = mkdtempSync(join(tmpdir(), 'bench-http-'))
const autocannon = join(repoRoot, 'bench/node_modules/autocannon/autocannon.js')
const body = JSON.stringify({
  id: 42,
  name: 'widget',
  price: 12.5,
  quantity: 3,
  tags: ['red', 'green', 'blue'],
})

const config = (port: number) => `http:
  enabled: false
logger:
  level: WARN
input:
  http_server:
    address: 127.0.0.1:${port}
    path: /post
pipeline:
  processors:
    - mapping: |
        root.id = this.id
        root.name = this.name.uppercase()
        root.total = this.price * this.quantity
        root.tag_count = this.tags.length()
output:
  drop: {}
`

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' })
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

interface Load {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  non2xx: number
  errors: number
}

/** Runs autocannon in its own process against the server and reads its JSON summary. */
function load(port: number, seconds: number): Promise<Load> {
  const args = [
    autocannon,
    '--json',
    '-c',
    String(connections),
    '-d',
    String(seconds),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-b',
    body,
    `http://127.0.0.1:${port}/post`,
  ]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString()
    })
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`autocannon failed (exit ${code}): ${err.slice(-2000)}`))
      const r = JSON.parse(out) as {
        requests: { average: number; total: number }
        latency: { p50: number; p99: number }
        non2xx: number
        errors: number
        timeouts: number
      }
      resolve({
        requestsPerSecond: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        requests: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
      })
    })
  })
}

/** Peak resident memory of a process so far, from /proc (KiB; 0 where unavailable). */
function peakRssKiB(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0)
  } catch {
    return 0
  }
}

interface Measured extends Load {
  peakRssMiB: number
}

/** Starts one engine on the config, warms it up, loads it, stops it. */
async function measure(command: string, args: string[], port: number): Promise<Measured> {
  const server = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  server.stderr?.on('data', (c: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += c.toString()
  })
  const exited = new Promise<number | null>((resolve) => server.on('close', resolve))
  try {
    await Promise.race([
      waitForPort(port),
      exited.then((code) => {
        throw new Error(`${command} exited (${code}) before listening:\n${stderr.slice(-2000)}`)
      }),
    ])
    if (warmup > 0) await load(port, warmup)
    const result = await load(port, duration)
    return { ...result, peakRssMiB: Math.round(peakRssKiB(server.pid) / 102.4) / 10 }
  } finally {
    server.kill('SIGTERM')
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

/**
 * The reference binary: --bento, else the `bento` CLI once built into .services/bin, else
 * `bento-lite` (the same Bento v1.20.0 CLI and http_server, without the other connectors). Building
 * `bento` is not started here: it takes minutes and may need the network.
 */
async function bentoBinary(): Promise<{ path: string; name: string }> {
  if (opts.bento !== undefined) return { path: opts.bento, name: 'bento' }
  if (existsSync(toolPath('bento'))) return { path: await ensureTool('bento'), name: 'bento' }
  process.stderr.write(
    `${toolPath('bento')} is not built; using bento-lite (Bento v1.20.0, standard components)\n`,
  )
  return { path: await ensureTool('bento-lite'), name: 'bento-lite' }
}

// ---------------------------------------------------------------------------------------------

if (opts.build) {
  const built = spawnSync(
    join(repoRoot, 'node_modules/.bin/turbo'),
    ['run', 'build', '--filter=@bento-ts/http...', '--output-logs=errors-only'],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  if (built.status !== 0) throw new Error('building @bento-ts/http failed')
}
const bento = await bentoBinary()
const say = (text: string) => {
  if (!opts.json) process.stderr.write(text)
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The medians of each figure over the rounds. */
function medianOf(results: Measured[]): Measured {
  const of = (key: keyof Measured) => median(results.map((r) => r[key]))
  return {
    requestsPerSecond: of('requestsPerSecond'),
    p50Ms: of('p50Ms'),
    p99Ms: of('p99Ms'),
    requests: of('requests'),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    peakRssMiB: of('peakRssMiB'),
  }
}

const runs: Record<'bento' | 'ours', Measured[]> = { bento: [], ours: [] }
try {
  say(
    `http_server → mapping → drop, autocannon -c ${connections}, ${warmup}s warm-up + ${duration}s, ${rounds} round(s)\n`,
  )
  for (let r = 0; r < rounds; r++) {
    const order: ('bento' | 'ours')[] = r % 2 === 0 ? ['bento', 'ours'] : ['ours', 'bento']
    for (const engine of order) {
      const port = await freePort()
      const file = join(work, `${engine}-${r}.yaml`)
      writeFileSync(file, config(port))
      say(`  round ${r + 1} ${engine === 'bento' ? bento.name : 'ours'}… `)
      const result =
        engine === 'bento'
          ? await measure(bento.path, ['-c', file], port)
          : await measure(process.execPath, [import.meta.filename, '--serve', file], port)
      runs[engine].push(result)
      say(`${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms\n`)
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
const bentoResult = medianOf(runs.bento)
const oursResult = medianOf(runs.ours)

const round = (n: number, digits = 2) => Number(n.toFixed(digits))
const row = {
  scenario: 'http_server→mapping→drop',
  reference: bento.name,
  connections,
  seconds: duration,
  rounds,
  bento_req_per_s: Math.round(bentoResult.requestsPerSecond),
  ours_req_per_s: Math.round(oursResult.requestsPerSecond),
  /** ours / Bento: > 1 means ours serves more */
  throughput_ratio: round(oursResult.requestsPerSecond / bentoResult.requestsPerSecond),
  bento_p50_ms: bentoResult.p50Ms,
  ours_p50_ms: oursResult.p50Ms,
  bento_p99_ms: bentoResult.p99Ms,
  ours_p99_ms: oursResult.p99Ms,
  /** Bento / ours: > 1 means ours answers faster at the 99th percentile */
  p99_ratio: round(bentoResult.p99Ms / Math.max(oursResult.p99Ms, 0.001)),
  bento_peak_rss_mib: bentoResult.peakRssMiB,
  ours_peak_rss_mib: oursResult.peakRssMiB,
  bento_failed: bentoResult.non2xx + bentoResult.errors,
  ours_failed: oursResult.non2xx + oursResult.errors,
}

if (opts.json) console.log(JSON.stringify([row], null, 2))
else {
  const columns: [keyof typeof row, string, number][] = [
    ['scenario', 'scenario', 26],
    ['bento_req_per_s', `${bento.name} req/s`, 16],
    ['ours_req_per_s', 'ours req/s', 11],
    ['throughput_ratio', 'req/s ours/Bento', 17],
    ['bento_p99_ms', `${bento.name} p99 ms`, 17],
    ['ours_p99_ms', 'ours p99 ms', 12],
    ['p99_ratio', 'p99 Bento/ours', 15],
    ['bento_peak_rss_mib', 'Bento RSS MiB', 14],
    ['ours_peak_rss_mib', 'ours RSS MiB', 13],
    ['bento_failed', 'Bento non-2xx', 14],
    ['ours_failed', 'ours non-2xx', 13],
  ]
  console.log(
    '\nreq/s ratio = ours ÷ Bento (> 1: ours serves more); p99 ratio = Bento p99 ÷ ours (> 1: ours answers faster); ' +
      `medians of ${rounds} round(s); ${connections} connections, ${duration} s each, loopback, load from a separate autocannon process`,
  )
  console.log(columns.map(([, title, w], i) => (i === 0 ? title.padEnd(w) : title.padStart(w))).join(' '))
  console.log(
    columns
      .map(([key, , w], i) => {
        const text = String(row[key])
        return i === 0 ? text.padEnd(w) : text.padStart(w)
      })
      .join(' '),
  )
}
// A run where requests failed measured something else than serving them: say so in the exit code.
if (row.bento_failed > 0 || row.ours_failed > 0) process.exitCode = 1
