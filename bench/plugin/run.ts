// The plugin in the real workflow host, side by side: `workflow-host-harness -bench`
// (conformance/host/bench.go, workflow v0.85.4) times our single executable — spawn → handshake,
// LoadPlugin, idle RSS, step.bento round trips through RemoteStep.Execute (plus the raw
// ExecuteStep RPC and GetManifest, the transport floor), DeliverMessage → bento.output (drop,
// file). Then it tries `go install` of the original Go plugin (GoCodeAlone/workflow-plugin-bento,
// @latest, with a time limit): built, the same bench runs on it and the ratios are printed; not
// built, the exact error is printed and recorded. Last, the plugin's own ExecuteStep handling is
// timed in this process (no gRPC): the step alone, and the gRPC handler with the protobuf codec.
//
//   pnpm bench:plugin [--steps 10000] [--deliveries 10000] [--go-timeout 600] [--no-build] [--json]
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { createMetrics, standardEnvironment } from '@bento-ts/core'
import { BentoPlugin, BentoStep, createPluginLogger } from '@bento-ts/plugin-host-bridge'
import { ensureTool, repoRoot } from '@bento-ts/test-services'

const { values: opts } = parseArgs({
  options: {
    steps: { type: 'string', default: '10000' },
    deliveries: { type: 'string', default: '10000' },
    'go-timeout': { type: 'string', default: '600' },
    build: { type: 'boolean', default: true },
    json: { type: 'boolean', default: false },
  },
  allowNegative: true,
})
const steps = Number(opts.steps)
const goTimeoutMs = Number(opts['go-timeout']) * 1000
const mapping = 'root.output = this.input.uppercase()'
const goals = { stepP50Us: 150, stepP99Us: 1000, startMs: 150 }
const originalModule = 'github.com/GoCodeAlone/workflow-plugin-bento/cmd/workflow-plugin-bento@latest'
const log = (line: string) => process.stderr.write(`${line}\n`)

interface Latency {
  n: number
  mean_us: number
  p50_us: number
  p90_us: number
  p99_us: number
  max_us: number
  per_sec: number
}
interface Throughput {
  messages: number
  concurrency: number
  msgs_per_sec: number
  error?: string
}
interface HostBench {
  handshake_first_ms: number
  handshake_ms: number
  load_ms: number
  idle_rss_mb: number
  rss_after_mb: number
  step_remote?: Latency
  step_raw?: Latency
  get_manifest_raw?: Latency
  deliver: Record<string, Throughput>
  errors: string[]
}

// ---------------------------------------------------------------------------------------------
// The host side: the harness's bench mode on one executable.

async function hostBench(harness: string, exe: string): Promise<HostBench> {
  const args = ['-bench', '-repo', repoRoot, '-exe', exe, '-steps', String(steps)]
  args.push('-deliveries', opts.deliveries, '-mapping', mapping)
  const { stdout } = await promisify(execFile)(harness, args, {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    if (!err.stdout) throw new Error(`${exe}: ${err.message}\n${err.stderr ?? ''}`)
    return { stdout: err.stdout }
  })
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as HostBench
  for (const e of result.errors) log(`  error: ${e}`)
  return result
}

// ---------------------------------------------------------------------------------------------
// The original Go plugin: built with `go install`, or the reason it was not.

interface Original {
  exe?: string
  error?: string
  seconds: number
}

function buildOriginal(): Original {
  const bin = mkdtempSync(join(tmpdir(), 'bench-plugin-go-'))
  process.on('exit', () => rmSync(bin, { recursive: true, force: true }))
  const started = performance.now()
  const run = spawnSync('go', ['install', originalModule], {
    env: { ...process.env, GOBIN: bin, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    encoding: 'utf8',
    timeout: goTimeoutMs,
  })
  const seconds = Math.round((performance.now() - started) / 100) / 10
  const exe = join(bin, 'workflow-plugin-bento')
  if (run.status === 0 && existsSync(exe)) return { exe, seconds }
  const why =
    run.error !== undefined
      ? `${run.error.message}${run.signal ? ` (${run.signal} after ${seconds} s)` : ''}`
      : (run.stderr || run.stdout).trim()
  return { error: `go install ${originalModule}: ${why}`, seconds }
}

// ---------------------------------------------------------------------------------------------
// The plugin side, in this process: BentoStep.execute alone, and the registered executeStep
// handler of BentoPlugin fed and answered through the service definition's protobuf codec
// (bytes in → bytes out, what the plugin does per call apart from grpc-js and the socket).

function distribution(samples: number[], seconds: number): Latency {
  samples.sort((a, b) => a - b)
  const at = (p: number) => round(samples[Math.ceil(p * samples.length) - 1]!)
  const sum = samples.reduce((s, v) => s + v, 0)
  return {
    n: samples.length,
    mean_us: round(sum / samples.length),
    p50_us: at(0.5),
    p90_us: at(0.9),
    p99_us: at(0.99),
    max_us: round(samples.at(-1)!),
    per_sec: Math.round(samples.length / seconds),
  }
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<Latency> {
  for (let i = 0; i < Math.max(200, n / 20); i++) await fn()
  const samples: number[] = []
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await fn()
    samples.push((performance.now() - t) * 1000)
  }
  return distribution(samples, (performance.now() - start) / 1000)
}

type ServiceDefinition = Record<
  string,
  {
    requestSerialize: (value: unknown) => Buffer
    requestDeserialize: (bytes: Buffer) => unknown
    responseSerialize: (value: unknown) => Buffer
    responseDeserialize: (bytes: Buffer) => unknown
  }
>
type Unary = (call: { request: unknown }, callback: (err: unknown, response?: unknown) => void) => void

async function inProcess(): Promise<{ step_execute: Latency; handler_with_codec: Latency }> {
  const env = standardEnvironment()
  const logger = createPluginLogger({ level: 'warn' })
  const input = { input: 'hello', id: 42 }
  const config = { processors: `mapping: '${mapping}'` }

  const step = await BentoStep.create('bench', config, env, logger, createMetrics())
  const stepExecute = await timed(steps, async () => {
    const { output } = await step.execute({ triggerData: input, current: input, config })
    if (output.output !== 'HELLO') throw new Error(`step output ${JSON.stringify(output)}`)
  })

  // BentoPlugin.register on a stand-in server that keeps the implementation it is given.
  // (It is given the grpc-js definition too: paths and the protobuf codecs of each method.)
  let impl: Record<string, Unary> = {}
  let definition: ServiceDefinition = {}
  const server = {
    addService: (d: ServiceDefinition, implementation: Record<string, Unary>) => {
      definition = d
      impl = implementation
    },
  }
  const plugin = new BentoPlugin({
    manifest: { name: 'bench', version: '0', author: '', description: '' },
    env,
    logger,
  })
  plugin.register(server as never, undefined as never)
  const call = (name: string, bytes: Buffer): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const method = definition[name]!
      impl[name]!({ request: method.requestDeserialize(bytes) }, (err, response) =>
        err ? reject(err) : resolve(method.responseSerialize(response)),
      )
    })
  const created = definition.createStep!.responseDeserialize(
    await call(
      'createStep',
      definition.createStep!.requestSerialize({ type: 'step.bento', name: 'bench', config }),
    ),
  ) as { handleId: string; error: string }
  if (created.error) throw new Error(created.error)
  const request = definition.executeStep!.requestSerialize({
    handleId: created.handleId,
    triggerData: input,
    current: input,
    config,
  })
  const handler = await timed(steps, () => call('executeStep', request))
  await plugin.stopAll()
  return { step_execute: stepExecute, handler_with_codec: handler }
}

// ---------------------------------------------------------------------------------------------

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits

if (opts.build) {
  log('building the single executable (apps/plugin build:exe; --no-build to skip)')
  execFileSync(process.execPath, ['scripts/build-exe.ts'], {
    cwd: join(repoRoot, 'apps/plugin'),
    stdio: 'ignore',
  })
}
const ourExe = join(repoRoot, 'apps/plugin/dist/exe/workflow-plugin-bento')
if (!existsSync(ourExe)) throw new Error(`${ourExe} is missing: pnpm --filter @bento-ts/plugin build:exe`)
const harness = await ensureTool('workflow-host-harness')

log(`host bench of ${ourExe}`)
const ours = await hostBench(harness, ourExe)

log(`go install ${originalModule} (time limit ${goTimeoutMs / 1000} s)`)
const original = buildOriginal()
let theirs: HostBench | undefined
if (original.exe !== undefined) {
  log(`built in ${original.seconds} s; host bench of ${original.exe}`)
  theirs = await hostBench(harness, original.exe)
} else {
  log(`the original Go plugin was not built: ${original.error}`)
}

log('in-process ExecuteStep handling (no gRPC)')
const local = await inProcess()

// One row per measurement: ours, the Go plugin's, their ratio (> 1: ours is better).
interface Row {
  what: string
  unit: string
  ts: number | undefined
  go: number | undefined
  lowerIsBetter: boolean
  goal?: number
}
const rows: Row[] = []
const add = (
  what: string,
  unit: string,
  pick: (b: HostBench) => number | undefined,
  lower: boolean,
  goal?: number,
) =>
  rows.push({
    what,
    unit,
    ts: pick(ours),
    go: theirs === undefined ? undefined : pick(theirs),
    lowerIsBetter: lower,
    ...(goal === undefined ? {} : { goal }),
  })
add('spawn → handshake (first)', 'ms', (b) => b.handshake_first_ms, true)
add('spawn → handshake (median)', 'ms', (b) => b.handshake_ms, true, goals.startMs)
add('LoadPlugin (median of 3)', 'ms', (b) => b.load_ms, true, goals.startMs)
add('idle RSS after load', 'MiB', (b) => b.idle_rss_mb, true)
add('step.bento RemoteStep.Execute p50', 'µs', (b) => b.step_remote?.p50_us, true, goals.stepP50Us)
add('step.bento RemoteStep.Execute p99', 'µs', (b) => b.step_remote?.p99_us, true, goals.stepP99Us)
add('step.bento raw ExecuteStep p50', 'µs', (b) => b.step_raw?.p50_us, true)
add('step.bento raw ExecuteStep p99', 'µs', (b) => b.step_raw?.p99_us, true)
add('GetManifest (transport floor) p50', 'µs', (b) => b.get_manifest_raw?.p50_us, true)
add('GetManifest (transport floor) p99', 'µs', (b) => b.get_manifest_raw?.p99_us, true)
for (const key of Object.keys(ours.deliver)) {
  const [output, conc] = key.split('_c')
  add(
    `DeliverMessage → bento.output ${output}, ${conc} in flight`,
    'msgs/s',
    (b) => b.deliver[key]?.msgs_per_sec,
    false,
  )
}
add('RSS after the bench', 'MiB', (b) => b.rss_after_mb, true)

const ratio = (r: Row) =>
  r.ts === undefined || r.go === undefined || r.ts === 0 || r.go === 0
    ? undefined
    : round(r.lowerIsBetter ? r.go / r.ts : r.ts / r.go, 2)

if (opts.json) {
  console.log(
    JSON.stringify(
      {
        ours,
        original: { ...original, bench: theirs },
        in_process: local,
        goals,
        rows: rows.map((r) => ({ ...r, ratio: ratio(r) })),
      },
      null,
      2,
    ),
  )
} else {
  const fmt = (v: number | undefined) => (v === undefined ? '—' : String(round(v)))
  console.log(
    `\nworkflow-plugin-bento in the workflow v0.85.4 host (${steps} step calls, ${opts.deliveries} deliveries)\n`,
  )
  console.log(
    `${'measurement'.padEnd(46)} ${'unit'.padEnd(7)} ${'ts'.padStart(9)} ${'go'.padStart(9)} ${'ratio'.padStart(6)}  goal`,
  )
  for (const r of rows) {
    const met =
      r.goal === undefined || r.ts === undefined ? '' : `${r.ts <= r.goal ? 'met' : 'MISSED'} (≤ ${r.goal})`
    const q = ratio(r)
    console.log(
      `${r.what.padEnd(46)} ${r.unit.padEnd(7)} ${fmt(r.ts).padStart(9)} ${fmt(r.go).padStart(9)} ${(q === undefined ? '—' : `${q}x`).padStart(6)}  ${met}`,
    )
  }
  console.log('\nthe plugin itself, in this process (no gRPC), µs per ExecuteStep:')
  for (const [what, l] of Object.entries(local)) {
    console.log(
      `  ${what.padEnd(20)} p50 ${fmt(l.p50_us).padStart(6)}  p99 ${fmt(l.p99_us).padStart(6)}  mean ${fmt(l.mean_us).padStart(6)}`,
    )
  }
  const remote = ours.step_remote
  const raw = ours.step_raw
  const floor = ours.get_manifest_raw
  if (remote !== undefined && raw !== undefined && floor !== undefined) {
    console.log('\nwhere a step round trip goes (p50, µs):')
    console.log(
      `  host side: RemoteStep (template resolution, Struct conversion) ${round(remote.p50_us - raw.p50_us)}`,
    )
    console.log(`  gRPC round trip to a trivial handler (GetManifest)            ${round(floor.p50_us)}`)
    console.log(
      `  ExecuteStep beyond that (decode, step, encode)                 ${round(raw.p50_us - floor.p50_us)}`,
    )
    console.log(
      `    of which in-process handler with codec                       ${round(local.handler_with_codec.p50_us)}`,
    )
  }
  console.log(
    original.error === undefined
      ? `\noriginal Go plugin: built by go install in ${original.seconds} s; ratio > 1 means ours is better`
      : `\noriginal Go plugin: not built, so no side-by-side numbers (${original.seconds} s):\n  ${original.error.replaceAll('\n', '\n  ')}`,
  )
}
writeFileSync(
  join(tmpdir(), 'bench-plugin-last.json'),
  JSON.stringify({ ours, original, theirs, local }, null, 2),
)
if (ours.errors.length > 0 || (theirs?.errors.length ?? 0) > 0) process.exitCode = 1
