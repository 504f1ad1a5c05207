import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, freePort } from '@bento-ts/test-services'
import { afterAll, describe, expect, test } from 'vitest'

// `run -w`: the config is edited while messages arrive steadily over HTTP. Every message the input
// acknowledged (HTTP 200) is in the output; after the edit the new mapping applies; a broken edit
// is logged and the running stream kept.
const main = join(import.meta.dirname, '../src/main.ts')
let child: ChildProcess | undefined

afterAll(() => {
  child?.kill('SIGKILL')
})

const config = (port: number, out: string, suffix: string) => `http:
  enabled: false
input:
  http_server:
    address: 127.0.0.1:${port}
    path: /post
pipeline:
  processors:
    - mapping: 'root = content().string() + " ${suffix}"'
output:
  file:
    path: ${out}
    codec: lines
`

/** Posts until the input takes it: refused while the stream is being replaced, then accepted. */
async function deliver(url: string, body: string): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(url, { method: 'POST', body })
      await res.text()
      if (res.status === 200) return
    } catch {
      // the old stream closed its port; the new one opens it in a moment
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('run -w', () => {
  test('a changed config replaces the stream without losing an acknowledged message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-'))
    const port = await freePort()
    const path = join(dir, 'config.yaml')
    const out = join(dir, 'out.txt')
    writeFileSync(path, config(port, out, 'v1'))
    let stderr = ''
    child = spawn(process.execPath, [main, 'run', '-w', '-c', path], { stdio: ['ignore', 'ignore', 'pipe'] })
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    const url = `http://127.0.0.1:${port}/post`
    await eventually(
      () =>
        fetch(url, { method: 'POST', body: 'warm-up' }).then(
          (r) => r.status === 200,
          () => false,
        ),
      { timeoutMs: 60_000, what: 'the watched stream' },
    )
    const total = 150
    for (let i = 0; i < total; i++) {
      if (i === 50) writeFileSync(path, config(port, out, 'v2'))
      if (i === 100) writeFileSync(path, `${config(port, out, 'v3')}  nonsense_field: 1\n`)
      await deliver(url, `m${i}`)
      await new Promise((r) => setTimeout(r, 10))
    }
    await eventually(() => existsSync(out) && readFileSync(out, 'utf8').includes(`m${total - 1} `), {
      timeoutMs: 30_000,
      what: 'the last message',
    })
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    const seen = new Map(lines.map((l) => [l.split(' ')[0]!, l.split(' ')[1]!]))
    // nothing acknowledged is missing
    for (let i = 0; i < total; i++) expect(seen.has(`m${i}`), `m${i}`).toBe(true)
    // the edit applied: v1 first, then v2 for good; the broken edit (v3 plus an unknown field) did not
    const versions = lines.filter((l) => l.startsWith('m')).map((l) => l.split(' ')[1])
    const firstV2 = versions.indexOf('v2')
    expect(firstV2).toBeGreaterThan(0)
    expect(versions.slice(0, firstV2).every((v) => v === 'v1')).toBe(true)
    expect(versions.slice(firstV2).every((v) => v === 'v2')).toBe(true)
    expect(seen.get(`m${total - 1}`)).toBe('v2')
    await eventually(() => stderr.includes('Config lint error, the running stream is kept'), {
      timeoutMs: 10_000,
      what: 'the lint error',
    })
    expect(stderr).toContain('nonsense_field')
    child.kill('SIGTERM')
    await new Promise((r) => child!.once('exit', r))
  }, 180_000)
})
