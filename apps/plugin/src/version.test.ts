import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { version } from './version.ts'

const appDir = join(import.meta.dirname, '..')
const read = (file: string) => JSON.parse(readFileSync(join(appDir, file), 'utf8')) as { version: string }

it('src/version.ts and plugin.json carry package.json’s version (pnpm release:version writes them)', () => {
  const pkg = read('package.json').version
  expect({ 'src/version.ts': version, 'plugin.json': read('plugin.json').version }).toEqual({
    'src/version.ts': pkg,
    'plugin.json': pkg,
  })
})
