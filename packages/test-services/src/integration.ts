// pnpm test:integration: runs every workspace package's `test:integration`, several at once where
// they cannot disturb each other, and prints how long each took.
//   node packages/test-services/src/integration.ts [--concurrency N] [package-dir-or-name …]
//
// Each package declares in its package.json which shared servers its tests use and which of them
// they stop and start again (outage tests):  "bento-ts": { "services": ["kafka"], "restarts": ["kafka"] }
// A package that restarts a server never runs beside another package using that server; all
// others share the machine's slots. Packages start longest first, by the durations of the last run.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { repoRoot, stateDir } from './paths.ts'
import { serviceNames } from './services.ts'

export interface TestPackage {
  name: string
  dir: string
  services: string[]
  restarts: string[]
}

interface PackageJson {
  name: string
  scripts?: Record<string, string>
  'bento-ts'?: { services?: string[]; restarts?: string[] }
}

/** Workspace packages with a test:integration script, with their server declarations checked. */
export function integrationPackages(root = repoRoot): TestPackage[] {
  const out: TestPackage[] = []
  for (const group of ['packages', 'apps']) {
    const base = join(root, group)
    if (!existsSync(base)) continue
    for (const entry of readdirSync(base).sort()) {
      const file = join(base, entry, 'package.json')
      if (!existsSync(file)) continue
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson
      if (pkg.scripts?.['test:integration'] === undefined) continue
      const services = pkg['bento-ts']?.services ?? []
      const restarts = pkg['bento-ts']?.restarts ?? []
      for (const s of [...services, ...restarts])
        if (!serviceNames.includes(s))
          throw new Error(
            `${relative(root, file)}: bento-ts names "${s}", not a service (${serviceNames.join(', ')})`,
          )
      for (const s of restarts)
        if (!services.includes(s))
          throw new Error(
            `${relative(root, file)}: bento-ts.restarts has "${s}", which bento-ts.services lacks`,
          )
      out.push({ name: pkg.name, dir: join(base, entry), services, restarts })
    }
  }
  return out
}

/** Whether `a` may run while `b` runs: neither restarts a server the other uses. */
export const compatible = (a: TestPackage, b: TestPackage): boolean =>
  !a.restarts.some((s) => b.services.includes(s)) && !b.restarts.some((s) => a.services.includes(s))

export interface Outcome {
  pkg: TestPackage
  ms: number
  code: number
  output: string
}

/**
 * Runs `run` for every package, at most `concurrency` at once and never two incompatible ones
 * together, taking the first runnable package in `order` whenever a slot frees.
 */
export async function schedule(
  order: TestPackage[],
  concurrency: number,
  run: (pkg: TestPackage) => Promise<Omit<Outcome, 'pkg' | 'ms'>>,
  onDone: (outcome: Outcome) => void = () => {},
): Promise<Outcome[]> {
  const waiting = [...order]
  const running = new Set<TestPackage>()
  const outcomes: Outcome[] = []
  return new Promise((resolve) => {
    const next = (): void => {
      while (running.size < concurrency) {
        const at = waiting.findIndex((p) => [...running].every((r) => compatible(p, r)))
        if (at < 0) break
        const [pkg] = waiting.splice(at, 1) as [TestPackage]
        running.add(pkg)
        const started = Date.now()
        void run(pkg).then((result) => {
          running.delete(pkg)
          const outcome = { pkg, ms: Date.now() - started, ...result }
          outcomes.push(outcome)
          onDone(outcome)
          next()
        })
      }
      if (running.size === 0 && waiting.length === 0) resolve(outcomes)
    }
    next()
  })
}

function runPackage(pkg: TestPackage): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('pnpm', ['run', '--silent', 'test:integration'], {
      cwd: pkg.dir,
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString()
    })
    child.on('error', (err) => resolve({ code: 127, output: `${output}${err.message}\n` }))
    child.on('close', (code) => resolve({ code: code ?? 1, output }))
  })
}

const durationsFile = join(stateDir, 'integration-durations.json')
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { concurrency: { type: 'string', default: process.env.BENTO_TS_TEST_CONCURRENCY ?? '3' } },
  })
  const concurrency = Number(values.concurrency)
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error('--concurrency takes a whole number ≥ 1')
  let packages = integrationPackages()
  if (positionals.length > 0) {
    const wanted = (p: TestPackage) =>
      positionals.some((w) => p.name === w || p.name === `@bento-ts/${w}` || relative(repoRoot, p.dir) === w)
    packages = packages.filter(wanted)
    if (packages.length === 0)
      throw new Error(`no package with test:integration matches ${positionals.join(' ')}`)
  }
  const last: Record<string, number> = existsSync(durationsFile)
    ? (JSON.parse(readFileSync(durationsFile, 'utf8')) as Record<string, number>)
    : {}
  const order = [...packages].sort((a, b) => (last[b.name] ?? 0) - (last[a.name] ?? 0))
  console.log(`integration tests of ${packages.length} packages, ${concurrency} at a time`)
  const started = Date.now()
  const outcomes = await schedule(order, concurrency, runPackage, (o) => {
    console.log(
      `\n── ${o.pkg.name}: ${o.code === 0 ? 'passed' : `FAILED (exit ${o.code})`} in ${seconds(o.ms)}`,
    )
    process.stdout.write(o.output)
  })
  const wall = Date.now() - started
  mkdirSync(stateDir, { recursive: true })
  writeFileSync(
    durationsFile,
    `${JSON.stringify({ ...last, ...Object.fromEntries(outcomes.map((o) => [o.pkg.name, o.ms])) }, null, 2)}\n`,
  )
  console.log('\nintegration durations (wall clock per package; packages ran side by side):')
  for (const o of [...outcomes].sort((a, b) => b.ms - a.ms)) {
    const servers = o.pkg.services.map((s) => (o.pkg.restarts.includes(s) ? `${s} (restarts)` : s)).join(', ')
    console.log(
      `  ${o.pkg.name.padEnd(28)} ${seconds(o.ms).padStart(9)}  ${o.code === 0 ? 'ok    ' : 'FAILED'}  ${servers}`,
    )
  }
  const sum = outcomes.reduce((s, o) => s + o.ms, 0)
  console.log(`  total ${seconds(wall)} wall clock, ${seconds(sum)} summed, concurrency ${concurrency}`)
  const failed = outcomes.filter((o) => o.code !== 0)
  if (failed.length > 0) {
    console.error(`failed: ${failed.map((o) => o.pkg.name).join(', ')}`)
    process.exitCode = 1
  }
}

if (import.meta.main) await main()
