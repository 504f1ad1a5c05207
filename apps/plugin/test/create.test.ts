import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ensureTool } from '@bento-ts/test-services'
import { beforeAll, describe, expect, test } from 'vitest'
import { parse as parseYAML } from 'yaml'

// `create --small` against `bento create --small`: the same config once read, and the same
// `# No default (required|optional)` comments on fields without a default (written with their
// first example, or an empty value of their type).
const main = join(import.meta.dirname, '../src/main.ts')
let bento = ''
beforeAll(async () => {
  bento = await ensureTool('bento-lite')
}, 300_000)

const create = (command: string, args: string[]) => {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  // reading resolves YAML aliases, so whether there are any is compared too
  const aliases = /(^|\s)[&*]\w+/m.test(result.stdout)
  const comments = result.stdout.match(/# No default \((required|optional)\)/g) ?? []
  return { status: result.status, config: parseYAML(result.stdout) as unknown, aliases, comments }
}

describe('create --small matches bento create --small', () => {
  for (const expression of [
    '',
    'stdin/noop/drop',
    'stdin,file/noop,noop/drop,stdout',
    'generate/log,http/drop',
    'generate,stdin/mapping/stdout,drop',
  ]) {
    test(expression || '(no expression)', () => {
      const args = ['create', '--small', ...(expression === '' ? [] : [expression])]
      const got = create(process.execPath, [main, ...args])
      expect(got).toEqual(create(bento, args))
      expect(got.status).toBe(0)
    })
  }
})
