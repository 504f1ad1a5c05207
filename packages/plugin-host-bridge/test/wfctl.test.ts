// The real `wfctl pipeline run` (workflow v0.85.4) on examples/workflow/app.yaml, with the single
// executable installed by apps/plugin's install:plugin into a temp dir: wfctl loads it through the
// host's ExternalPluginManager and runs a pipeline whose first step is step.bento.
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ensureTool, repoRoot } from '@bento-ts/test-services'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ensureExe } from './host.ts'

const app = join(repoRoot, 'examples', 'workflow', 'app.yaml')
const work = mkdtempSync(join(tmpdir(), 'wfctl-'))
const pluginDir = join(work, 'data', 'plugins')
let wfctl: string

beforeAll(async () => {
  ensureExe()
  execFileSync(process.execPath, ['scripts/install-plugin.ts', '--dest', work], {
    cwd: join(repoRoot, 'apps', 'plugin'),
    stdio: 'inherit',
  })
  expect(existsSync(join(pluginDir, 'workflow-plugin-bento', 'workflow-plugin-bento'))).toBe(true)
  expect(existsSync(join(pluginDir, 'workflow-plugin-bento', 'plugin.json'))).toBe(true)
  wfctl = await ensureTool('wfctl')
}, 900_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

interface Run {
  code: number
  stdout: string
  stderr: string
}

async function pipelineRun(input: unknown): Promise<Run> {
  const args = ['pipeline', 'run', '-c', app, '-p', 'price-order', '--plugin-dir', pluginDir]
  args.push('--input', JSON.stringify(input), '--verbose')
  // cwd: the temp dir, so that no .wfctl.yaml of the repo is picked up.
  return promisify(execFile)(wfctl, args, { cwd: work, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => {
      if (typeof err.code !== 'number') throw err
      return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }
    },
  )
}

it('runs a pipeline with step.bento through the installed plugin', async () => {
  const run = await pipelineRun({
    id: 7,
    customer: 'ada',
    items: [
      { sku: 'a', qty: 2, price: 2.5 },
      { sku: 'b', qty: 1, price: 10 },
    ],
  })
  if (run.code !== 0) console.error(run.stdout, run.stderr)
  expect(run.code).toBe(0)
  // The plugin was started and loaded by the host (go-plugin's and wfctl's debug lines).
  expect(run.stderr).toContain('plugin \\"workflow-plugin-bento\\" loaded successfully')
  expect(run.stdout).toContain('Step 1/2: price ... OK')
  const lines = run.stdout.split('\n').map((l) => l.trim())
  // --verbose prints each step's output as `key = value`; step.bento's typed output is {result}.
  expect(lines).toContain('result = map[customer:Ada item_count:2 order_id:7 size:small total:15]')
  expect(run.stdout).toContain('Step 2/2: receipt ... OK')
  expect(lines).toContain('receipt = order 7 for Ada: 2 items, 15 (small)')
  expect(run.stdout).toContain('Pipeline completed successfully')
}, 120_000)

it('fails the pipeline when a processor fails, naming the step', async () => {
  const run = await pipelineRun({ id: 8, customer: 'grace', items: [] })
  expect(run.code).toBe(1)
  expect(run.stdout).toContain('Step 1/2: price ... FAILED')
  expect(run.stdout).toContain('step.bento "price": processor failed')
  expect(run.stdout).toContain('order has no items')
  expect(run.stdout).not.toContain('Step 2/2')
}, 120_000)
