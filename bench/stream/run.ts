// Streams side by side: the same config run to its end by Bento v1.20.0 (`bento-lite -c cfg`, the
// standard components only) and by ours (`node apps/plugin/dist/main.js run -c cfg`), each as a
// child process, one after the other. Prints messages per second (wall time of the whole process,
// start-up included) and peak resident memory of each, with the ratios, and checks that both
// engines wrote the same output.
//
//   A  generate (count N, interval "") → mapping → drop
//   B  file (N JSON lines, written once into a temp dir) → mapping → file
//
//   pnpm bench:stream [--messages 1000000] [--only A|B] [--no-build] [--json] [--keep]
//                     [--from-source [--ours-root DIR]]
//
// --from-source runs ours from the TypeScript sources of the working tree (no build: the workspace
// packages resolve to their src/ through packages/core/test/from-source.ts); --ours-root takes
// them from another checkout instead (to compare two versions of ours with the same harness).

import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ensureTool, repoRoot } from '@bento-ts/test-services'
import { type Column, printTable } from '../lib/table.ts'

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    build: { type: 'boolean', default: true },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'from-source': { type: 'boolean', default: false },
    'ours-root': { type: 'string' },
  },
  allowNegative: true,
})
const messages = Number(opts.messages)
if (!Number.isInteger(messages) || messages <= 0) throw new Error(`--messages ${opts.messages}: not a count`)
const work = mkdtempSync(join(tmpdir(), 'bench-stream-'))
const fromSource = opts['from-source'] || opts['ours-root'] !== undefined
const oursRoot = opts['ours-root'] ?? repoRoot
const ourMain = fromSource
  ? join(oursRoot, 'apps/plugin/src/main.ts')
  : join(repoRoot, 'apps/plugin/dist/main.js')
const ourArgs = fromSource
  ? ['--import', join(oursRoot, 'packages/core/test/from-source.ts'), ourMain]
  : [ourMain]
const timeBinary = '/usr/bin/time'

// ---------------------------------------------------------------------------------------------
// Configs. Both engines read the very same file; paths are written in, not substituted.

const header = `http:
  enabled: false
logger:
  level: WARN
`

const mappingA = `root.id = this.id
root.name = this.name.uppercase()
root.total = this.price * this.quantity
root.tag_count = this.tags.length()
root.first_tag = this.tags.index(0)`

const generateA = `root = {"id": counter(), "name": "item", "price": 12.5, "quantity": 3, "tags": ["red", "green", "blue"]}`

const mappingB = `root.id = this.id
root.name = this.name.uppercase()
root.adult = this.age >= 18
root.city = this.address.city.lowercase()
root.tags = this.tags.join(",")
root.score = this.score * 10`

const indent = (text: string, spaces: number) =>
  text
    .split('\n')
    .map((l) => `${' '.repeat(spaces)}${l}`)
    .join('\n')

function configA(count: number, output: string): string {
  return `${header}input:
  generate:
    count: ${count}
    interval: ""
    mapping: |
${indent(generateA, 6)}
pipeline:
  processors:
    - mapping: |
${indent(mappingA, 8)}
output:
${indent(output, 2)}
`
}

function configB(input: string, output: string): string {
  return `${header}input:
  file:
    paths:
      - ${JSON.stringify(input)}
pipeline:
  processors:
    - mapping: |
${indent(mappingB, 8)}
output:
  file:
    path: ${JSON.stringify(output)}
`
}

/** N JSON lines of ≈ 150 bytes, the same every time. */
async function writeInput(path: string, count: number): Promise<number> {
  const cities = ['Paris', 'Lyon', 'Berlin', 'Osaka', 'Lima', 'Accra', 'Perth']
  const file = await open(path, 'w')
  let bytes = 0
  try {
    let chunk: string[] = []
    for (let i = 1; i <= count; i++) {
      chunk.push(
        JSON.stringify({
          id: i,
          name: `user-${i}`,
          email: `user${i}@example.com`,
          age: (i * 7) % 90,
          score: ((i * 13) % 1000) / 7,
          tags: ['a', 'b', `t${i % 10}`],
          address: { city: cities[i % cities.length], zip: String(10000 + (i % 89999)) },
        }),
      )
      if (chunk.length === 10_000 || i === count) {
        const text = `${chunk.join('\n')}\n`
        bytes += Buffer.byteLength(text)
        await file.write(text)
        chunk = []
      }
    }
  } finally {
    await file.close()
  }
  return bytes
}

// ---------------------------------------------------------------------------------------------
// Running and measuring.

interface Measured {
  code: number | null
  seconds: number
  peakRssKiB: number
  stderr: string
}

/**
 * Runs a command to its end, timing it, and takes its peak RSS from GNU time (`%M`, the maximum
 * resident set size of the child in KiB) or, without it, from polling /proc/<pid>/status VmHWM.
 */
function measure(command: string, args: string[], stdoutPath?: string): Promise<Measured> {
  const useTime = existsSync(timeBinary)
  const rssFile = join(work, `rss-${process.hrtime.bigint()}`)
  const [cmd, argv] = useTime ? [timeBinary, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args]
  return new Promise((resolve) => {
    const started = performance.now()
    const out = stdoutPath === undefined ? 'ignore' : 'pipe'
    const child = spawn(cmd, argv, { cwd: repoRoot, stdio: ['ignore', out, 'pipe'] })
    const chunks: Buffer[] = []
    if (stdoutPath !== undefined) child.stdout?.on('data', (c: Buffer) => chunks.push(c))
    let stderr = ''
    child.stderr?.on('data', (c: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += c.toString()
    })
    let polledKiB = 0
    const poll = useTime
      ? undefined
      : setInterval(() => {
          try {
            const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
            const kib = Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0)
            if (kib > polledKiB) polledKiB = kib
          } catch {
            // exited between two polls
          }
        }, 20)
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000
      if (poll !== undefined) clearInterval(poll)
      if (stdoutPath !== undefined) writeFileSync(stdoutPath, Buffer.concat(chunks))
      let peakRssKiB = polledKiB
      if (useTime && existsSync(rssFile)) {
        // GNU time writes "Command exited with non-zero status N" before the value on failure.
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n')
        peakRssKiB = Number(lines.at(-1))
      }
      resolve({ code, seconds, peakRssKiB, stderr })
    })
  })
}

/** Line count and an order-insensitive digest (sum of per-line hashes mod 2^64) of a file. */
async function digest(path: string): Promise<{ lines: number; digest: string }> {
  if (!existsSync(path)) return { lines: 0, digest: 'missing' }
  let lines = 0
  let sum = 0n
  let rest = ''
  const mask = (1n << 64n) - 1n
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop()!
    for (const line of parts) {
      lines++
      sum = (sum + createHash('sha1').update(line).digest().readBigUInt64BE(0)) & mask
    }
  }
  if (rest !== '') {
    lines++
    sum = (sum + createHash('sha1').update(rest).digest().readBigUInt64BE(0)) & mask
  }
  return { lines, digest: sum.toString(16) }
}

interface Row {
  scenario: string
  messages: number
  bento_msgs_per_s: number
  ours_msgs_per_s: number
  /** ours / Bento: > 1 means ours is faster */
  speed_ratio: number
  bento_peak_rss_mib: number
  ours_peak_rss_mib: number
  /** Bento / ours: > 1 means ours uses less memory */
  memory_ratio: number
  bento_lines: number
  ours_lines: number
  same_output: boolean
  note?: string
}

type Engine = 'bento' | 'ours'

function commandOf(engine: Engine, bento: string, config: string): [string, string[]] {
  return engine === 'bento' ? [bento, ['-c', config]] : [process.execPath, [...ourArgs, 'run', '-c', config]]
}

/** Bento first, then ours, one at a time so neither competes with the other for the 2 cores. */
async function runBoth(
  bento: string,
  configOf: (engine: Engine) => string,
  stdoutOf?: (engine: Engine) => string,
): Promise<Record<Engine, Measured>> {
  const results: Partial<Record<Engine, Measured>> = {}
  for (const engine of ['bento', 'ours'] as const) {
    const [cmd, args] = commandOf(engine, bento, configOf(engine))
    if (!opts.json) process.stderr.write(`  ${engine}… `)
    const r = await measure(cmd, args, stdoutOf?.(engine))
    if (!opts.json)
      process.stderr.write(`${r.seconds.toFixed(2)} s, ${(r.peakRssKiB / 1024).toFixed(0)} MiB\n`)
    if (r.code !== 0) throw new Error(`${engine} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`)
    results[engine] = r
  }
  return results as Record<Engine, Measured>
}

function row(
  scenario: string,
  results: Record<Engine, Measured>,
  counts: { bento: number; ours: number },
  same: boolean,
  note?: string,
): Row {
  const b = results.bento
  const o = results.ours
  const round = (n: number, digits = 2) => Number(n.toFixed(digits))
  return {
    scenario,
    messages,
    bento_msgs_per_s: Math.round(messages / b.seconds),
    ours_msgs_per_s: Math.round(messages / o.seconds),
    speed_ratio: round(b.seconds / o.seconds),
    bento_peak_rss_mib: round(b.peakRssKiB / 1024, 1),
    ours_peak_rss_mib: round(o.peakRssKiB / 1024, 1),
    memory_ratio: round(b.peakRssKiB / o.peakRssKiB),
    bento_lines: counts.bento,
    ours_lines: counts.ours,
    same_output: same,
    ...(note === undefined ? {} : { note }),
  }
}

// ---------------------------------------------------------------------------------------------

if (opts.build && !fromSource) {
  // Ours runs from its build; turbo makes this a no-op when nothing changed.
  const built = spawnSync(
    join(repoRoot, 'node_modules/.bin/turbo'),
    ['run', 'build', '--filter=@bento-ts/plugin...', '--output-logs=errors-only'],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  if (built.status !== 0) throw new Error('building @bento-ts/plugin failed')
}
if (!existsSync(ourMain)) throw new Error(`${ourMain} is missing: build @bento-ts/plugin first`)
const bento = await ensureTool('bento-lite')
const rows: Row[] = []
const wanted = (s: string) => opts.only === undefined || opts.only.toUpperCase() === s

try {
  if (wanted('A')) {
    if (!opts.json) process.stderr.write(`A: generate ${messages} → mapping → drop\n`)
    // The drop output leaves nothing to count, so first the same config at 1,000 messages writes
    // to stdout, and both engines' lines must match; then the full run is timed.
    const small = join(work, 'a-check.yaml')
    writeFileSync(small, configA(1000, 'stdout: {}'))
    await runBoth(
      bento,
      () => small,
      (engine) => join(work, `a-check-${engine}.jsonl`),
    )
    const check = {
      bento: await digest(join(work, 'a-check-bento.jsonl')),
      ours: await digest(join(work, 'a-check-ours.jsonl')),
    }
    const config = join(work, 'a.yaml')
    writeFileSync(config, configA(messages, 'drop: {}'))
    const results = await runBoth(bento, () => config)
    rows.push(
      row(
        'A generate→mapping→drop',
        results,
        { bento: check.bento.lines, ours: check.ours.lines },
        check.bento.lines === 1000 && check.bento.digest === check.ours.digest,
        'lines and output checked on a 1,000-message run to stdout',
      ),
    )
  }

  if (wanted('B')) {
    const input = join(work, 'input.jsonl')
    if (!opts.json) process.stderr.write(`B: writing ${messages} JSON lines… `)
    const bytes = await writeInput(input, messages)
    if (!opts.json) process.stderr.write(`${(bytes / 1024 / 1024).toFixed(0)} MiB\n`)
    if (!opts.json) process.stderr.write(`B: file → mapping → file\n`)
    // Each engine gets its own copy of the config, differing only in the output path.
    const outputs = { bento: join(work, 'b-bento.jsonl'), ours: join(work, 'b-ours.jsonl') }
    for (const engine of ['bento', 'ours'] as const)
      writeFileSync(join(work, `b-${engine}.yaml`), configB(input, outputs[engine]))
    const results = await runBoth(bento, (engine) => join(work, `b-${engine}.yaml`))
    const bentoOut = await digest(outputs.bento)
    const oursOut = await digest(outputs.ours)
    rows.push(
      row(
        'B file→mapping→file',
        results,
        { bento: bentoOut.lines, ours: oursOut.lines },
        bentoOut.lines === messages && bentoOut.digest === oursOut.digest,
      ),
    )
  }
} finally {
  if (opts.keep) process.stderr.write(`kept ${work}\n`)
  else rmSync(work, { recursive: true, force: true })
}

if (opts.json) console.log(JSON.stringify(rows, null, 2))
else {
  const columns: Column<Row>[] = [
    ['scenario', 'scenario', 26],
    ['messages', 'messages', 10],
    ['bento_msgs_per_s', 'Bento msg/s', 12],
    ['ours_msgs_per_s', 'ours msg/s', 11],
    ['speed_ratio', 'speed ours/Bento', 17],
    ['bento_peak_rss_mib', 'Bento RSS MiB', 14],
    ['ours_peak_rss_mib', 'ours RSS MiB', 13],
    ['memory_ratio', 'memory Bento/ours', 18],
    ['bento_lines', 'Bento lines', 12],
    ['ours_lines', 'ours lines', 11],
    ['same_output', 'same output', 12],
  ]
  console.log(
    '\nspeed ratio = ours msg/s ÷ Bento msg/s (> 1: ours is faster); ' +
      'memory ratio = Bento peak RSS ÷ ours (> 1: ours uses less)',
  )
  printTable(rows, columns, {
    after: (r) => (r.note === undefined ? undefined : `  (${r.scenario.split(' ')[0]}: ${r.note})`),
  })
}
// A benchmark that compares different work is meaningless: say so in the exit code.
if (rows.some((r) => !r.same_output)) process.exitCode = 1
