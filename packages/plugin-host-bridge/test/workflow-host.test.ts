// The plugin loaded by the real workflow host: conformance/host (Go, workflow v0.85.4) starts the
// single executable (apps/plugin/dist/exe/workflow-plugin-bento, built here when missing or older
// than the sources) through external.ExternalPluginManager and checks what the host sees.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ensureTool, repoRoot } from '@bento-ts/test-services'
import { beforeAll, expect, it } from 'vitest'
import { buildBridge, ensureExe } from './host.ts'

interface Summary {
  ok: boolean
  checks: { name: string; ok: boolean; error?: string; ms: number }[]
  timings: Record<string, number>
  notes: string[]
}

let harness: string
let exe: string
beforeAll(async () => {
  buildBridge()
  exe = ensureExe()
  // A cold build of the harness (the workflow module and its dependencies) takes a few minutes.
  harness = await ensureTool('workflow-host-harness')
}, 900_000)

it('loads, runs and shuts down in the workflow host', async () => {
  const { stdout } = await promisify(execFile)(harness, ['-repo', repoRoot, '-exe', exe], {
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
      'manifest',
      'step.bento: processors as a list',
      'step.bento: a legacy (Struct) call still gives the flat output',
      'step.bento: a dropped message gives {} promptly',
      'bento.input: every message published to target_topic (CallbackServer publish func)',
      'bento.input: a refused publish is nacked and redelivered',
      'bento.output: raw DeliverMessage acknowledged only once the file output wrote',
      'bento.output: a failed write is not acknowledged',
      'bento.broker: memory transport publishes back what is delivered',
      "trigger bento: messages reach the host's TriggerWorkflow",
      'full engine: an inline bento trigger runs its pipeline (step.bento) per message',
      'bridge: two bento.outputs on overlapping patterns each receive what they should',
      'bridge: a stalled bento.output does not slow another',
      'bridge: a loop configured on purpose stops at propagation depth 3',
      'bridge: a trigger with parallel: 4 keeps per-entity order',
      'shutdown within 2 s, no SIGKILL',
    ]),
  )
  expect(summary.ok).toBe(true)
}, 180_000)
