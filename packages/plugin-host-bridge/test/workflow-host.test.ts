// The plugin loaded by the real workflow host: conformance/host (Go, workflow v0.85.4) starts
// apps/plugin/src/main.ts through external.ExternalPluginManager and checks what the host sees.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ensureTool, repoRoot } from '@bento-ts/test-services'
import { beforeAll, expect, it } from 'vitest'
import { buildBridge } from './host.ts'

interface Summary {
  ok: boolean
  checks: { name: string; ok: boolean; error?: string; ms: number }[]
  timings: Record<string, number>
  notes: string[]
}

let harness: string
beforeAll(async () => {
  buildBridge()
  // A cold build of the harness (the workflow module and its dependencies) takes a few minutes.
  harness = await ensureTool('workflow-host-harness')
}, 900_000)

it('loads, runs and shuts down in the workflow host', async () => {
  const { stdout } = await promisify(execFile)(harness, ['-repo', repoRoot, '-node', process.execPath], {
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string; stderr?: string }) => {
    // A failed check exits 1; the summary (and the host log on stderr) still say which.
    if (err.stdout === undefined) throw err
    console.error(err.stderr)
    return { stdout: err.stdout }
  })
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Summary
  console.info(`workflow host: ${JSON.stringify(summary.timings)} ${summary.notes.join('; ')}`)
  expect(summary.checks.filter((c) => !c.ok)).toEqual([])
  expect(summary.checks.map((c) => c.name)).toEqual(
    expect.arrayContaining([
      'load (handshake, manifest, ConfigureCallback)',
      'step.bento: a dropped message gives {} promptly',
      'shutdown within 2 s, no SIGKILL',
    ]),
  )
  expect(summary.ok).toBe(true)
}, 180_000)
