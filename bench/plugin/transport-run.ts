// pnpm --filter @bento-ts/bench bench:transport [--steps 10000] [--rounds 2]
// Which gRPC stack should the plugin serve with? The same plugin (transport.ts) on @grpc/grpc-js
// and on @connectrpc/connect-node, both on this Node, each timed by the real workflow host
// (`workflow-host-harness -bench`): step.bento through RemoteStep.Execute, the raw ExecuteStep
// RPC, GetManifest (the transport floor) and DeliverMessage throughput. Rounds alternate the
// stacks so drift on a shared machine hits both.
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { ensureTool, repoRoot } from '@bento-ts/test-services'

const { values: opts } = parseArgs({
  options: {
    steps: { type: 'string', default: '10000' },
    deliveries: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '2' },
  },
})

interface Latency {
  p50_us: number
  p99_us: number
}
interface HostBench {
  handshake_ms: number
  load_ms: number
  idle_rss_mb: number
  step_remote?: Latency
  step_raw?: Latency
  get_manifest_raw?: Latency
  deliver: Record<string, { msgs_per_sec: number }>
  errors: string[]
}

const stacks = ['grpc-js', 'connect'] as const
const work = mkdtempSync(join(tmpdir(), 'bench-transport-'))
process.on('exit', () => rmSync(work, { recursive: true, force: true }))
const script = join(import.meta.dirname, 'transport.ts')
const shims = Object.fromEntries(
  stacks.map((stack) => {
    const path = join(work, `plugin-${stack}`)
    writeFileSync(path, `#!/bin/sh\nBENCH_TRANSPORT=${stack} exec '${process.execPath}' '${script}' "$@"\n`)
    chmodSync(path, 0o755)
    return [stack, path]
  }),
) as Record<(typeof stacks)[number], string>

const harness = await ensureTool('workflow-host-harness')
const run = async (exe: string): Promise<HostBench> => {
  const args = [
    '-bench',
    '-repo',
    repoRoot,
    '-exe',
    exe,
    '-steps',
    opts.steps,
    '-deliveries',
    opts.deliveries,
  ]
  args.push('-handshakes', '3', '-loads', '1')
  const { stdout } = await promisify(execFile)(harness, args, {
    maxBuffer: 64 << 20,
    timeout: 600_000,
  }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    if (!err.stdout) throw new Error(`${exe}: ${err.message}\n${err.stderr ?? ''}`)
    return { stdout: err.stdout }
  })
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as HostBench
  // The plugin runs under a shell shim here, so the harness cannot find its pid for RSS: expected.
  for (const e of result.errors) if (!e.startsWith('pid:')) console.error(`  ${exe}: ${e}`)
  return result
}

const results: Record<string, HostBench[]> = { 'grpc-js': [], connect: [] }
for (let round = 0; round < Number(opts.rounds); round++) {
  const order = round % 2 === 0 ? stacks : [...stacks].reverse()
  for (const stack of order) {
    console.error(`round ${round + 1}: ${stack}`)
    results[stack]!.push(await run(shims[stack]))
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!
}
type Row = [string, (b: HostBench) => number | undefined, 'lower' | 'higher']
const rows: Row[] = [
  ['step.bento RemoteStep.Execute p50 (µs)', (b) => b.step_remote?.p50_us, 'lower'],
  ['step.bento RemoteStep.Execute p99 (µs)', (b) => b.step_remote?.p99_us, 'lower'],
  ['ExecuteStep raw p50 (µs)', (b) => b.step_raw?.p50_us, 'lower'],
  ['ExecuteStep raw p99 (µs)', (b) => b.step_raw?.p99_us, 'lower'],
  ['GetManifest p50 (µs)', (b) => b.get_manifest_raw?.p50_us, 'lower'],
  ['DeliverMessage → drop, 1 in flight (msg/s)', (b) => b.deliver.drop_c1?.msgs_per_sec, 'higher'],
  ['DeliverMessage → drop, 8 in flight (msg/s)', (b) => b.deliver.drop_c8?.msgs_per_sec, 'higher'],
  ['spawn → handshake (ms)', (b) => b.handshake_ms, 'lower'],
]
console.log(
  `\n| measurement (median of ${opts.rounds} runs, ${opts.steps} steps) | grpc-js | connect-node | grpc-js advantage |`,
)
console.log('|---|---|---|---|')
for (const [name, get, better] of rows) {
  const g = median(results['grpc-js']!.map(get).filter((v) => v !== undefined) as number[])
  const c = median(results.connect!.map(get).filter((v) => v !== undefined) as number[])
  const ratio = better === 'lower' ? c / g : g / c
  console.log(`| ${name} | ${g.toFixed(1)} | ${c.toFixed(1)} | ${ratio.toFixed(2)}× |`)
}
