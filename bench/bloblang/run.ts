// Bloblang side by side: every mapping in mappings/ over a 1 KiB and a 10 KiB document, bytes in →
// bytes out, in our engine and in Bento v1.20.0's (the Go oracle), one after the other in one run.
// Prints ops/s for each engine, the ratio, and whether both produced the same bytes.
//
//   pnpm bench:bloblang [--duration 2] [--only 03] [--json]
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parse } from '@bento-ts/bloblang'
import { ensureTool } from '@bento-ts/test-services'
import { documentOfSize } from './documents.ts'

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '2' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
})
const seconds = Number(opts.duration)
const here = dirname(fileURLToPath(import.meta.url))
const mappingsDir = join(here, 'mappings')
const work = mkdtempSync(join(tmpdir(), 'bench-bloblang-'))
const sizes = [
  { label: '1KiB', bytes: 1024 },
  { label: '10KiB', bytes: 10 * 1024 },
]

interface EngineResult {
  opsPerSec: number
  sha256: string
  deleted: boolean
  error?: string
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

function benchOurs(mapping: string, input: Uint8Array): EngineResult {
  let executor: ReturnType<typeof parse>
  try {
    executor = parse(mapping)
  } catch (err) {
    return { opsPerSec: 0, sha256: '', deleted: false, error: (err as Error).message }
  }
  const once = () => executor.apply({ content: input })
  let out: ReturnType<typeof once>
  try {
    out = once()
  } catch (err) {
    return { opsPerSec: 0, sha256: '', deleted: false, error: (err as Error).message }
  }
  // Warm up so the JIT has compiled the closures, then measure whole batches of calls.
  const warmUntil = performance.now() + 500
  while (performance.now() < warmUntil) once()
  let iterations = 0
  const start = performance.now()
  const stopAt = start + seconds * 1000
  let now = start
  while (now < stopAt) {
    for (let i = 0; i < 64; i++) once()
    iterations += 64
    now = performance.now()
  }
  return {
    opsPerSec: iterations / ((now - start) / 1000),
    sha256: out.deleted ? '' : sha256(out.content),
    deleted: out.deleted,
  }
}

function benchGo(oracle: string, mappingPath: string, inputPath: string): EngineResult {
  const run = spawnSync(
    oracle,
    ['bench', '-mapping', mappingPath, '-input', inputPath, '-duration', `${seconds}s`, '-warmup', '500ms'],
    { encoding: 'utf8' },
  )
  if (run.status !== 0) return { opsPerSec: 0, sha256: '', deleted: false, error: run.stderr.trim() }
  const result = JSON.parse(run.stdout) as { ops_per_sec: number; output_sha256: string; deleted: boolean }
  return { opsPerSec: result.ops_per_sec, sha256: result.output_sha256, deleted: result.deleted }
}

const oracle = await ensureTool('bloblang-oracle')
const mappings = readdirSync(mappingsDir)
  .filter((f) => f.endsWith('.blobl') && (opts.only === undefined || f.includes(opts.only)))
  .sort()

const rows: Record<string, string | number | boolean>[] = []
for (const size of sizes) {
  const input = documentOfSize(size.bytes)
  const inputPath = join(work, `${size.label}.json`)
  writeFileSync(inputPath, input)
  for (const file of mappings) {
    const mappingPath = join(mappingsDir, file)
    const mapping = readFileSync(mappingPath, 'utf8')
    const go = benchGo(oracle, mappingPath, inputPath)
    const ours = benchOurs(mapping, input)
    const error = ours.error ?? go.error
    rows.push({
      mapping: file.replace(/\.blobl$/, ''),
      size: size.label,
      go_ops: Math.round(go.opsPerSec),
      ts_ops: Math.round(ours.opsPerSec),
      ratio: go.opsPerSec > 0 && ours.opsPerSec > 0 ? Number((ours.opsPerSec / go.opsPerSec).toFixed(2)) : 0,
      same_output: error === undefined && ours.sha256 === go.sha256 && ours.deleted === go.deleted,
      ...(error === undefined ? {} : { error: error.split('\n')[0]!.slice(0, 80) }),
    })
    if (!opts.json) {
      const r = rows.at(-1)!
      console.log(
        `${String(r.mapping).padEnd(24)} ${String(r.size).padEnd(6)} go ${String(r.go_ops).padStart(9)}/s  ` +
          `ts ${String(r.ts_ops).padStart(9)}/s  ratio ${String(r.ratio).padStart(5)}x  ` +
          `${r.same_output ? 'same output' : `DIFFERENT OUTPUT${r.error ? `: ${r.error}` : ''}`}`,
      )
    }
  }
}

if (opts.json) console.log(JSON.stringify(rows, null, 2))
else {
  const ratios = rows.map((r) => Number(r.ratio)).filter((r) => r > 0)
  const geomean = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / Math.max(1, ratios.length))
  console.log(
    `\nts/go geometric mean ${geomean.toFixed(2)}x over ${ratios.length} runs; ratio > 1 means ours is faster`,
  )
}
// A benchmark that compares different work is meaningless: say so in the exit code.
if (rows.some((r) => !r.same_output)) process.exitCode = 1
