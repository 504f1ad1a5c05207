// Every config in streams/ runs through Bento v1.20.0 (bento-lite) and through our CLI, and the
// outputs must be the same: stdout and every file written, exactly, or line-order-insensitively
// where Bento's own order is not defined (see the directives in harness.ts). Configs we cannot run
// yet are listed in streams/pending.yaml with the reason, and checked to still be pending, so the
// day the component lands this test says to move the config into the compared set.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import {
  bentoLite,
  comparable,
  configEnv,
  describeRun,
  differences,
  fixturesDir,
  lintConfigs,
  lintDir,
  lintWith,
  loadPending,
  readDirectives,
  runProcess,
  runStreamConfig,
  scratch,
  streamConfigs,
  streamsDir,
} from './harness.ts'

let bento = ''
beforeAll(async () => {
  bento = await bentoLite()
}, 600_000)

const configs = streamConfigs()
const pending = loadPending()
const pendingByConfig = new Map(pending.map((p) => [p.config, p]))
const compared = configs.filter((c) => !pendingByConfig.has(c))

/** Runs a config with both engines, each in its own output folder. */
async function sideBySide(name: string) {
  const path = join(streamsDir, name)
  const directives = readDirectives(readFileSync(path, 'utf8'))
  const work = scratch('stream')
  try {
    const [reference, ours] = await Promise.all([
      runStreamConfig('bento', bento, path, work.dir, directives),
      runStreamConfig('ours', bento, path, work.dir, directives),
    ])
    return { directives, reference, ours }
  } finally {
    work.cleanup()
  }
}

describe('the config set', () => {
  test('has at least 20 configs, and every pending entry names one of them once', () => {
    expect(configs.length).toBeGreaterThanOrEqual(20)
    for (const p of pending) expect(configs, `pending.yaml names ${p.config}`).toContain(p.config)
    expect(pendingByConfig.size, 'a config is listed twice in pending.yaml').toBe(pending.length)
  })

  test.each(configs)('%s has valid directives', (name) => {
    const directives = readDirectives(readFileSync(join(streamsDir, name), 'utf8'))
    expect(directives.errorAt, 'error-at is for lint configs').toBeUndefined()
    if (directives.stdin !== undefined)
      expect(existsSync(join(fixturesDir, directives.stdin)), `stdin fixture ${directives.stdin}`).toBe(true)
  })
})

describe('stream configs: ours gives the same output as Bento', () => {
  test.each(compared)('%s', async (name) => {
    const { directives, reference, ours } = await sideBySide(name)
    expect(reference.code, `Bento itself must run the config\n${describeRun(reference)}`).toBe(0)
    expect(ours.code, describeRun(ours)).toBe(0)
    const found = differences(comparable(ours, directives), comparable(reference, directives), directives)
    expect(found, `our output differs from Bento's (${directives.order} comparison)`).toEqual([])
  })
})

describe('pending configs: still valid for Bento, still pending in ours', () => {
  if (pending.length === 0) test('none pending', () => {})
  test.each(pending)('$config ($kind)', async (p) => {
    const path = join(streamsDir, p.config)
    const reference = await lintWith('bento', bento, path, configEnv(streamsDir))
    expect(reference.code, `Bento's lint rejects ${p.config}:\n${reference.stdout}${reference.stderr}`).toBe(
      0,
    )
    if (p.kind === 'missing') {
      const ours = await lintWith('ours', bento, path, configEnv(streamsDir))
      expect(
        ours.code,
        `${p.config} now passes our lint, so "${p.reason}" no longer holds: remove it from pending.yaml so it is compared`,
      ).not.toBe(0)
    } else {
      const { directives, reference: ref, ours } = await sideBySide(p.config)
      expect(ref.code, describeRun(ref)).toBe(0)
      const same =
        ours.code === 0 &&
        differences(comparable(ours, directives), comparable(ref, directives), directives).length === 0
      expect(
        same,
        `${p.config} now gives Bento's output, so "${p.reason}" no longer holds: remove it from pending.yaml`,
      ).toBe(false)
    }
  })
})

describe('lint rejects broken configs, like Bento, naming file:line:column', () => {
  test.each(lintConfigs())('%s', async (name) => {
    const path = join(lintDir, name)
    const directives = readDirectives(readFileSync(path, 'utf8'))
    const ours = await lintWith('ours', bento, path)
    expect(ours.code, `our lint accepted ${name}`).not.toBe(0)
    const first = ours.stderr.split('\n')[0] ?? ''
    expect(first.startsWith(`${path}:`), `our first problem names the file: ${first}`).toBe(true)
    expect(first.slice(path.length)).toMatch(/^:\d+:\d+: \S/)
    if (directives.errorAt !== undefined) {
      const { line, column } = directives.errorAt
      expect(first.slice(path.length), 'the position of our first problem').toMatch(
        new RegExp(`^:${line}:${column}: `),
      )
    }
    const reference =
      directives.bento === 'lint'
        ? await lintWith('bento', bento, path)
        : await runProcess(bento, ['-c', path], { timeoutMs: 30_000 })
    expect(reference.code, `Bento's ${directives.bento} accepted ${name}`).not.toBe(0)
  })
})
