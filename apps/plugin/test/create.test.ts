import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ensureTool } from '@bento-ts/test-services'
import { beforeAll, describe, expect, test } from 'vitest'
import { parse as parseYAML } from 'yaml'

// `create --small` against `bento create --small`: the same config once read (Bento's trailing
// blank line and comments aside). Expressions naming components with a required or an optional
// field without a default are not compared yet: Bento writes a field example with a
// `# No default (required|optional)` comment there, ours an empty value.
const main = join(import.meta.dirname, '../src/main.ts')
let bento = ''
beforeAll(async () => {
  bento = await ensureTool('bento-lite')
}, 300_000)

const create = (command: string, args: string[]) => {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  // reading resolves YAML aliases, so whether there are any is compared too
  const aliases = /(^|\s)[&*]\w+/m.test(result.stdout)
  return { status: result.status, config: parseYAML(result.stdout) as unknown, aliases }
}

describe('create --small matches bento create --small', () => {
  for (const expression of ['', 'stdin/noop/drop', 'stdin,file/noop,noop/drop,stdout']) {
    test(expression || '(no expression)', () => {
      const args = ['create', '--small', ...(expression === '' ? [] : [expression])]
      const got = create(process.execPath, [main, ...args])
      expect(got).toEqual(create(bento, args))
      expect(got.status).toBe(0)
    })
  }
})
