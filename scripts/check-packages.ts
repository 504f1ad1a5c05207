// `pnpm check:packages`: every publishable package as npm users would get it. For each one (not
// private, under packages/): the metadata check of package-metadata.ts, then `pnpm pack` (which
// rewrites workspace: ranges as publishing does) and, on that tarball, publint (strict: warnings
// fail) and Are the Types Wrong (`esm-only` profile: our packages are ESM only, on purpose, so
// CommonJS `require` resolution is not judged). The root script builds first: both read dist/.
//
//   node scripts/check-packages.ts [packages/<dir>…]
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { formatReports, runMetadata } from './package-metadata.ts'
import { repoRoot } from './workspace.ts'

const run = promisify(execFile)
const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name)

interface Outcome {
  dir: string
  ok: boolean
  output: string
}

async function tool(command: string, args: string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, maxBuffer: 16 * 1024 * 1024 })
    return { ok: true, output: `${stdout}${stderr}` }
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message }
  }
}

async function checkPackage(dir: string, scratch: string): Promise<Outcome> {
  const abs = join(repoRoot, dir)
  if (!existsSync(join(abs, 'dist')))
    return { dir, ok: false, output: `${dir}: no dist/ (run pnpm build first)` }
  const dest = mkdtempSync(join(scratch, 'pack-'))
  const packed = await tool('pnpm', ['pack', '--pack-destination', dest], abs)
  const tarball = readdirSync(dest).find((f) => f.endsWith('.tgz'))
  if (!packed.ok || tarball === undefined)
    return { dir, ok: false, output: `pnpm pack failed:\n${packed.output}` }
  const tgz = join(dest, tarball)
  const [lint, types] = await Promise.all([
    tool(bin('publint'), ['run', tgz, '--strict'], abs),
    tool(bin('attw'), [tgz, '--profile', 'esm-only', '--format', 'ascii', '--no-emoji', '--no-color'], abs),
  ])
  const output = [
    lint.ok ? 'publint: ok' : `publint:\n${lint.output.trim()}`,
    types.ok ? 'attw: ok' : `attw:\n${types.output.trim()}`,
  ].join('\n')
  return { dir, ok: lint.ok && types.ok, output }
}

async function main(): Promise<number> {
  const dirs = process.argv.slice(2).filter((a) => a !== '--' && !a.startsWith('--'))
  const reports = runMetadata({ fix: false, ...(dirs.length > 0 ? { dirs } : {}) })
  const metadata = formatReports(reports)
  if (metadata !== '') process.stderr.write(`${metadata}\n`)

  const scratch = mkdtempSync(join(tmpdir(), 'check-packages-'))
  const outcomes: Outcome[] = []
  try {
    // Two at a time: pnpm pack and attw are mostly waiting on the disk and on TypeScript.
    const queue = reports.map((r) => r.dir)
    const worker = async () => {
      for (let dir = queue.shift(); dir !== undefined; dir = queue.shift())
        outcomes.push(await checkPackage(dir, scratch))
    }
    await Promise.all([worker(), worker()])
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  outcomes.sort((a, b) => a.dir.localeCompare(b.dir))
  for (const o of outcomes.filter((o) => !o.ok)) process.stderr.write(`\n${o.dir}:\n${o.output}\n`)

  const failedMeta = new Set(reports.filter((r) => r.problems.length > 0).map((r) => r.dir))
  const lines = outcomes.map((o) => {
    const meta = failedMeta.has(o.dir) ? 'metadata FAIL' : 'metadata ok'
    return `  ${o.dir.padEnd(30)} ${meta}, publint+attw ${o.ok ? 'ok' : 'FAIL'}`
  })
  process.stderr.write(`\ncheck:packages\n${lines.join('\n')}\n`)
  return failedMeta.size === 0 && outcomes.every((o) => o.ok) ? 0 : 1
}

process.exitCode = await main()
