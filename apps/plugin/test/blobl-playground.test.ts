import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromiumArgs, ensureChromium, ensureTool, eventually, freePort } from '@bento-ts/test-services'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

// `blobl server` driven in a real headless Chromium (Debian's package): type a mapping, see the
// output and the metadata; break it, see the error with its position. Its /execute answers are
// compared with Bento's own playground server.
const main = join(import.meta.dirname, '../src/main.ts')
const children: ChildProcess[] = []
let context: BrowserContext
let page: Page
let ours = ''
let theirs = ''

async function serve(command: string, args: string[]): Promise<string> {
  const port = await freePort()
  const child = spawn(
    command,
    [...args, 'blobl', 'server', '--no-open', '--host', '127.0.0.1', '-p', String(port)],
    {
      stdio: 'ignore',
    },
  )
  children.push(child)
  const url = `http://127.0.0.1:${port}`
  await eventually(
    () =>
      fetch(url).then(
        (r) => r.status === 200,
        () => false,
      ),
    { timeoutMs: 60_000, what: `${command} blobl server` },
  )
  return url
}

beforeAll(async () => {
  const [executablePath, bento] = await Promise.all([ensureChromium(), ensureTool('bento-lite')])
  ;[ours, theirs] = await Promise.all([serve(process.execPath, [main]), serve(bento, [])])
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chromium-')), {
    executablePath,
    headless: true,
    args: [...chromiumArgs],
  })
  page = context.pages()[0] ?? (await context.newPage())
}, 900_000)

afterAll(async () => {
  await context?.close()
  for (const child of children) child.kill('SIGTERM')
})

describe('blobl server in a browser', () => {
  test('type a mapping: the output and metadata follow; break it: the error says where', async () => {
    await page.goto(ours)
    await page.fill('#input', '{"name":"bento","tags":["a","b"]}')
    await page.fill(
      '#mapping',
      'root.greeting = "hello " + this.name\nroot.count = this.tags.length()\nmeta topic = "greetings"',
    )
    await expect
      .poll(() => page.textContent('#output'), { timeout: 10_000 })
      .toBe('{\n  "count": 2,\n  "greeting": "hello bento"\n}')
    expect(await page.textContent('#metadata')).toContain('"topic": "greetings"')
    expect(await page.textContent('#errors')).toBe('')

    await page.fill('#mapping', 'root.greeting = "hello " + this.name\nroot.count = this.tags.length(')
    await expect.poll(() => page.textContent('#errors'), { timeout: 10_000 }).toContain('line 2 char')
    expect(await page.getAttribute('body', 'data-state')).toBe('error')

    await page.fill('#mapping', 'root = this.name.number()')
    await expect.poll(() => page.textContent('#errors'), { timeout: 10_000 }).toContain('execution error')
  }, 60_000)

  const cases = [
    { input: '{"a":1}', mapping: 'root.b = this.a + 1' },
    { input: '{"a":"x"}', mapping: 'root = this.a.uppercase()' },
    { input: '{"a":1}', mapping: 'root.b = this.a.' },
    { input: '{"a":1}', mapping: 'root = this.a.uppercase()' },
    { input: 'not json', mapping: 'root = this' },
    { input: '', mapping: 'root = this' },
    { input: '{}', mapping: '' },
    { input: '{"a":[1,2]}', mapping: 'root = deleted()' },
    { input: '{"a":[1,2]}', mapping: 'meta x = 1' },
  ]
  test('/execute answers as Bento playground does', async () => {
    const ask = (base: string, body: object) =>
      fetch(`${base}/execute`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => {
        const { result, parse_error, mapping_error } = (await r.json()) as Record<string, unknown>
        return { status: r.status, result, parse_error, mapping_error }
      })
    for (const c of cases) expect(await ask(ours, c), JSON.stringify(c)).toEqual(await ask(theirs, c))
  }, 60_000)
})
