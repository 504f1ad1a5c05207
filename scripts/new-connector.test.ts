// `pnpm new:connector <name>` must give a package that typechecks, lints and passes its own tests
// (the template is a working connector with a server its tests start). The package is made in a
// scratch workspace that borrows this repo's installed tools, so the real workspace is untouched.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { repoRoot } from './workspace.ts'

const scratch = mkdtempSync(join(tmpdir(), 'new-connector-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

test('a generated connector builds, lints and passes its tests', { timeout: 240_000 }, () => {
  for (const file of ['tsconfig.base.json', 'vitest.shared.ts'])
    cpSync(join(repoRoot, file), join(scratch, file))
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ private: true, type: 'module' }))
  writeFileSync(join(scratch, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n')
  // The repo's Biome settings, without the git integration a scratch folder does not have.
  const biome = JSON.parse(readFileSync(join(repoRoot, 'biome.json'), 'utf8')) as Record<string, unknown>
  writeFileSync(
    join(scratch, 'biome.json'),
    JSON.stringify({ ...biome, $schema: undefined, vcs: { enabled: false } }),
  )
  symlinkSync(join(repoRoot, 'node_modules'), join(scratch, 'node_modules'))

  const run = (cmd: string, args: string[], cwd: string): string => {
    try {
      return execFileSync(cmd, args, {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      })
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string }
      throw new Error(`${[cmd, ...args].join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`)
    }
  }
  run(
    process.execPath,
    [join(repoRoot, 'scripts', 'new-connector.ts'), 'line-queue', '--into', scratch],
    repoRoot,
  )
  const pkg = join(scratch, 'packages', 'line-queue')
  mkdirSync(join(pkg, 'node_modules', '@bento-ts'), { recursive: true })
  for (const dep of ['core', 'test-services', 'bloblang'])
    symlinkSync(join(repoRoot, 'packages', dep), join(pkg, 'node_modules', '@bento-ts', dep))

  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as Record<
    string,
    Record<string, string>
  >
  expect(manifest.name).toBe('@bento-ts/line-queue')
  expect(manifest.peerDependencies?.['@bento-ts/core']).toBeDefined()
  expect(readFileSync(join(pkg, 'src', 'input.ts'), 'utf8')).toContain("name: 'line_queue'")
  expect(readFileSync(join(scratch, '.changeset', 'new-line-queue.md'), 'utf8')).toContain(
    '"@bento-ts/line-queue": minor',
  )

  const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name)
  run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], pkg)
  run(bin('biome'), ['check', '.'], pkg)
  // both projects: the unit tests (`pnpm test`) and the integration tests with the conformance suite
  const out = run(bin('vitest'), ['run'], pkg)
  expect(out).toMatch(/Tests\s+\d+ passed/)
  expect(out).not.toMatch(/failed|skipped/)
})
