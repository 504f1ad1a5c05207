// Connector packages take @bento-ts/core as a peer dependency, but a program can still end up
// with two copies of it (a connector resolved against another version). Two real copies of the
// built package, loaded side by side: a connector built on one and a runtime from the other must
// still agree on what NotConnected, EndOfInput or a BatchError is.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'

type Core = typeof import('../src/index.ts')

const coreDir = join(import.meta.dirname, '..')
// Inside the package, so each copy resolves the package's own dependencies.
const scratch = mkdtempSync(join(coreDir, '.copies-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

async function copyOfCore(version: string): Promise<Core> {
  const dir = join(scratch, version)
  cpSync(join(coreDir, 'dist'), join(dir, 'dist'), { recursive: true })
  const manifest = JSON.parse(readFileSync(join(coreDir, 'package.json'), 'utf8')) as Record<string, unknown>
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...manifest, version }))
  return (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as Core
}

describe('two copies of @bento-ts/core in one program', () => {
  test('each copy recognises the other copy’s errors', async () => {
    const a = await copyOfCore('1.0.0')
    const b = await copyOfCore('1.1.0')
    expect(a.NotConnected).not.toBe(b.NotConnected)
    expect(new a.NotConnected('x')).toBeInstanceOf(b.NotConnected)
    expect(new b.EndOfInput()).toBeInstanceOf(a.EndOfInput)
    expect(new a.FieldError('url', 'bad')).toBeInstanceOf(b.FieldError)
    expect(new a.NotConnected()).not.toBeInstanceOf(b.EndOfInput)
    expect(new Error('plain')).not.toBeInstanceOf(b.NotConnected)
  })

  test('a runtime of one copy reconnects an output that throws the other copy’s NotConnected', async () => {
    const connector = await copyOfCore('2.0.0')
    const runtime = await copyOfCore('2.1.0')
    let connects = 0
    const written: string[] = []
    const env = runtime.standardEnvironment()
    runtime.addPlugin(env, {
      spec: { name: 'flaky', kind: 'output', summary: 'drops its link once', fields: [] },
      create: () => ({
        connect: async () => {
          connects++
        },
        write: async (batch) => {
          if (connects === 1) throw new connector.NotConnected('link lost')
          for (const m of batch) written.push(m.text())
        },
        close: async () => {},
      }),
    })
    const config = runtime.loadStreamConfig(
      'input: { generate: { count: 2, interval: "", mapping: \'root = "m" + count("c").string()\' } }\noutput: { flaky: {} }',
      env,
    )
    const stream = await runtime.startStream(config, env, { logger: runtime.silentLogger })
    await stream.done
    // Seen as a broken link (reconnect, write again), not as a failed write.
    expect(connects).toBe(2)
    expect(written.sort()).toEqual(['m1', 'm2'])
  })
})
