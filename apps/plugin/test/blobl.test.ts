import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ensureTool } from '@bento-ts/test-services'
import { beforeAll, describe, expect, test } from 'vitest'

// `workflow-plugin-bento blobl` must behave like `bento blobl`: the oracle runs Bento's own command.
const main = join(import.meta.dirname, '../src/main.ts')
let oracle = ''
beforeAll(async () => {
  oracle = await ensureTool('bloblang-oracle')
}, 300_000)

function run(command: string, args: string[], input: string) {
  const result = spawnSync(command, args, { input, encoding: 'utf8' })
  return { stdout: result.stdout, stderr: result.stderr, status: result.status }
}

const cases: { name: string; mapping: string; input: string; flags?: string[] }[] = [
  {
    name: 'maps each line, HTML-escaped JSON',
    mapping: 'root.b = this.a.uppercase()',
    input: '{"a":"<b>"}\n{"a":"x"}\n',
  },
  {
    name: 'non-JSON and empty lines are errors on stderr',
    mapping: 'root.b = this.a',
    input: 'not json\n\n{"a":1}\n',
  },
  { name: 'a failing statement names its line', mapping: 'root.b = this.a.uppercase()', input: '{"a":5}\n' },
  { name: 'strings print raw', mapping: 'root = this.a', input: '{"a":"plain text"}\n' },
  { name: 'deleted prints an empty line', mapping: 'root = deleted()', input: '{"a":1}\n' },
  { name: 'unassigned root echoes the document', mapping: 'meta x = 1', input: '{"z":1,"a":"<"}\n' },
  {
    name: 'metadata carries over between lines',
    mapping: 'meta n = (@n | 0) + 1\nroot = @n',
    input: '{}\n{}\n{}\n',
  },
  { name: 'pretty', mapping: 'root = this', input: '{"a":{"b":[1,2]}}\n', flags: ['--pretty'] },
  {
    name: 'sorted keys and numbers kept',
    mapping: 'root = this',
    input: '{"b":1.50,"a":12345678901234567890}\n',
  },
  { name: 'parse error with caret', mapping: 'root.b = this.a.uppercase(', input: '{}\n' },
  { name: 'unknown method', mapping: 'root = this.nope()', input: '{}\n' },
]

describe('blobl matches bento blobl', () => {
  for (const c of cases) {
    test(c.name, () => {
      const flags = c.flags ?? []
      const want = run(oracle, ['blobl', ...flags, c.mapping], c.input)
      const got = run(process.execPath, [main, 'blobl', ...flags, c.mapping], c.input)
      expect({ stdout: got.stdout, stderr: got.stderr, status: got.status }).toEqual({
        stdout: want.stdout,
        stderr: want.stderr,
        status: want.status,
      })
    })
  }
})
