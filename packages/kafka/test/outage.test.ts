import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, spawnStream, startService, stopService } from '@bento-ts/test-services'
import { expect, test } from 'vitest'
import { createTopic, recordCount, uniqueTopic } from './helpers.ts'
import { fillSource, idsOf, streamConfig } from './pipeline.ts'

const total = 40_000

test('the broker stops for 10 s mid-stream: the stream reconnects and loses nothing', async () => {
  const source = uniqueTopic('outage-src')
  const sink = uniqueTopic('outage-sink')
  await fillSource(source, total, 4)
  await createTopic(sink, 4)
  const dir = mkdtempSync(join(tmpdir(), 'kafka-outage-'))
  const config = join(dir, 'stream.yaml')
  // Slowed down so that most of the work is still ahead when the broker goes away.
  writeFileSync(
    config,
    streamConfig(source, sink, `g-${source}`).replace(
      'pipeline:\n  processors:\n',
      'pipeline:\n  threads: 4\n  processors:\n    - sleep:\n        duration: 2ms\n',
    ),
  )
  const log: string[] = []
  const child = await spawnStream(import.meta.url, config, log)
  try {
    await eventually(() => recordCount(sink), {
      what: 'progress before the outage',
      until: (n) => n >= 4000,
      timeoutMs: 120_000,
    })
    // most of the work is still ahead when the broker goes away
    expect(await recordCount(sink)).toBeLessThan(total / 2)
    await stopService('kafka')
    const stoppedAt = Date.now()
    await new Promise((r) => setTimeout(r, 10_000))
    await startService('kafka')
    console.log(`kafka outage test: broker down for ${Math.round((Date.now() - stoppedAt) / 1000)} s`)
    expect(child.exitCode).toBeNull()
    await eventually(() => recordCount(sink).catch(() => 0), {
      what: 'every message after the outage',
      until: (n) => n >= total,
      timeoutMs: 300_000,
    })
    const ids = await idsOf(sink)
    const distinct = new Set(ids)
    const missing = Array.from({ length: total }, (_, i) => `m-${i}`).filter((id) => !distinct.has(id))
    console.log(`kafka outage test: lost ${missing.length}, duplicates ${ids.length - distinct.size}`)
    expect(missing.slice(0, 20), log.join('').slice(-4000)).toEqual([])
  } finally {
    child.kill('SIGKILL')
  }
}, 600_000)
