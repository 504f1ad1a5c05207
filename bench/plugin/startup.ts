// Start-up and memory of two builds of the single executable, alternating (A B A B …) so a busy
// machine weighs on both alike: `workflow-host-harness -bench` (spawn → handshake, LoadPlugin,
// idle RSS, RSS after its step and DeliverMessage streams ran) with few steps, plus the CLI's
// `list` and a Redis stream (generate → redis_list, wall time and peak RSS from /usr/bin/time when
// it exists). Prints min / median / max per measurement, and the load average before and after.
//
//   node plugin/startup.ts --a <exe> [--b <exe>] [--rounds 3]
//   (e.g. --a /tmp/before/workflow-plugin-bento --b apps/plugin/dist/exe/workflow-plugin-bento)
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ensureTool, repoRoot, requireService } from '@bento-ts/test-services'
import { printTable } from '../lib/table.ts'

const { values: opts } = parseArgs({
  options: { a: { type: 'string' }, b: { type: 'string' }, rounds: { type: 'string', default: '3' } },
})
if (opts.a === undefined) throw new Error('startup: --a <executable> is required (and --b to compare)')
const exes = [opts.a, opts.b].filter((e): e is string => e !== undefined).map((e) => resolve(e))
const rounds = Number(opts.rounds)
const harness = await ensureTool('workflow-host-harness')
const dir = mkdtempSync(join(tmpdir(), 'bench-startup-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
const redisUrl = requireService('redis').REDIS_URL!
const config = join(dir, 'redis.yaml')
writeFileSync(
  config,
  `input:\n  generate:\n    mapping: root = "m"\n    count: 100\n    interval: ""\noutput:\n  redis_list:\n    url: ${redisUrl}\n    key: bench-startup\n`,
)
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

type Sample = Record<string, number>

/** Wall ms (and peak RSS MiB with GNU time) of one CLI run. */
function cli(exe: string, args: string[]): { ms: number; rssMb?: number } {
  const report = join(dir, 'time.txt')
  const t0 = performance.now()
  const run =
    gnuTime === undefined
      ? spawnSync(exe, args, { encoding: 'utf8' })
      : spawnSync(gnuTime, ['-f', '%M', '-o', report, exe, ...args], { encoding: 'utf8' })
  const ms = performance.now() - t0
  if (run.status !== 0) throw new Error(`${exe} ${args.join(' ')}: exit ${run.status}\n${run.stderr}`)
  if (gnuTime === undefined) return { ms }
  return { ms, rssMb: Number(readFileSync(report, 'utf8').trim().split('\n').at(-1)) / 1024 }
}

function sample(exe: string): Sample {
  const out = execFileSync(
    harness,
    [
      '-bench',
      '-repo',
      repoRoot,
      '-exe',
      exe,
      '-steps',
      '500',
      '-deliveries',
      '500',
      '-mapping',
      'root.output = this.input.uppercase()',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
  )
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>
  const list = cli(exe, ['list'])
  const redis = cli(exe, ['run', '-c', config, '--log.level', 'none'])
  return {
    handshake_first_ms: r.handshake_first_ms!,
    handshake_ms: r.handshake_ms!,
    load_ms: r.load_ms!,
    idle_rss_mb: r.idle_rss_mb!,
    rss_after_mb: r.rss_after_mb!,
    list_ms: list.ms,
    ...(list.rssMb === undefined ? {} : { list_rss_mb: list.rssMb }),
    redis_run_ms: redis.ms,
    ...(redis.rssMb === undefined ? {} : { redis_run_rss_mb: redis.rssMb }),
  }
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
const loadBefore = load()
const samples = exes.map(() => [] as Sample[])
for (let round = 0; round < rounds; round++)
  for (const [i, exe] of exes.entries()) {
    process.stderr.write(`round ${round + 1}/${rounds}: ${exe}\n`)
    samples[i]!.push(sample(exe))
  }

const stats = (values: number[]) => {
  const v = [...values].sort((x, y) => x - y)
  const f = (n: number) => n.toFixed(1)
  return `${f(v[0]!)} / ${f(v[Math.floor(v.length / 2)]!)} / ${f(v.at(-1)!)}`
}
const rows = Object.keys(samples[0]![0]!).map((what) => ({
  what,
  ...Object.fromEntries(exes.map((_, i) => [`e${i}`, stats(samples[i]!.map((s) => s[what]!))])),
}))
console.log(`load average (1/5/15 min) before ${loadBefore}, after ${load()}; ${rounds} alternating rounds`)
for (const [i, exe] of exes.entries()) console.log(`${String.fromCharCode(65 + i)}: ${exe}`)
printTable(rows as Record<string, string>[], [
  ['what', 'min / median / max', 22],
  ...exes.map((_, i) => [`e${i}`, String.fromCharCode(65 + i), 24] as const),
])
