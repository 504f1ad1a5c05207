import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCrashTest, runStreamArgs, runStreamScript } from '@bento-ts/test-services'
import { expect, test } from 'vitest'
import { client, createTopic, recordCount, uniqueTopic } from './helpers.ts'
import { checkpointLimit, fillSource, idsOf, streamConfig } from './pipeline.ts'

const partitions = 4
// Sized by what it proves: kills land between 10 % and 90 % of the total, so ten in-flight windows
// put a full window behind even the earliest kill (a bigger round number proves nothing more).
// The window: what a consumer may have read past its commit, checkpoint_limit per partition.
const total = 10 * partitions * checkpointLimit

test('kafka → mapping → kafka survives three SIGKILLs without losing a message', async () => {
  const source = uniqueTopic('crash-src')
  const sink = uniqueTopic('crash-sink')
  await fillSource(source, total, partitions)
  await createTopic(sink, partitions)
  const dir = mkdtempSync(join(tmpdir(), 'kafka-crash-'))
  const configPath = join(dir, 'stream.yaml')
  writeFileSync(configPath, streamConfig(source, sink, `g-${source}`))
  const admin = client().admin()
  await admin.connect()
  try {
    const result = await runCrashTest({
      script: runStreamScript,
      args: await runStreamArgs(import.meta.url, configPath),
      total,
      delivered: () => recordCount(sink, admin),
      collect: () => idsOf(sink),
      idOf: (i) => `m-${i}`,
      timeoutMs: 420_000,
    })
    console.log(
      `kafka crash test: lost ${result.lost}, duplicates ${result.duplicates}, received ${result.received}, killed at ${result.killedAt.join(', ')}`,
    )
    expect(result.lost, `missing: ${result.missing.join(', ')}\n${result.log.slice(-3000)}`).toBe(0)
    expect(result.distinct).toBe(total)
    // Each kill redelivers at most what was under way (checkpoint_limit per partition) plus what
    // was acknowledged since the last commit: a generous bound on that.
    expect(result.duplicates).toBeLessThanOrEqual(3 * (partitions * checkpointLimit + 20_000))
  } finally {
    await admin.disconnect()
  }
}, 480_000)
