import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureTool } from '@bento-ts/test-services'
import { beforeAll, describe, expect, test } from 'vitest'

// `lint` and its flags (--labels, --skip-env-var-check, --deprecated, alone and together) against
// `bento lint` on the same files: the same exit status and the same lines reported. The wording
// differs on purpose (ours names the config path and what to do), so only lines are compared, and
// an unset environment variable counts once per file: Bento puts it at (1,1), ours where the
// variable is written.
const main = join(import.meta.dirname, '../src/main.ts')
const unset = 'BENTO_TS_LINT_FLAGS_NEVER_SET'
const files: Record<string, string> = {
  'clean.yaml':
    'input:\n  label: in\n  generate:\n    mapping: root = "x"\n    count: 1\n    interval: ""\noutput:\n  label: out\n  drop: {}\n',
  'labels.yaml':
    'input:\n  generate:\n    mapping: root = "x"\n    count: 1\n    interval: ""\npipeline:\n  processors:\n    - mapping: root = this\noutput:\n  drop: {}\n',
  'env.yaml': `input:\n  label: in\n  generate:\n    mapping: root = "x"\n    count: \${${unset}}\n    interval: ""\noutput:\n  label: out\n  drop: {}\n`,
  // log.fields is deprecated in Bento and in ours
  'deprecated.yaml':
    'input:\n  label: in\n  generate:\n    mapping: root = "x"\n    count: 1\n    interval: ""\npipeline:\n  processors:\n    - label: say\n      log:\n        message: hi\n        fields:\n          a: b\noutput:\n  label: out\n  drop: {}\n',
}
const flagSets = [[], ['--labels'], ['--skip-env-var-check'], ['--deprecated'], ['--labels', '--deprecated']]

let bento = ''
let dir = ''
beforeAll(async () => {
  bento = await ensureTool('bento-lite')
  dir = mkdtempSync(join(tmpdir(), 'lint-flags-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
}, 300_000)

interface FileLints {
  /** lines of the problems (stderr) */
  lines: string[]
  /** lines of the deprecation warnings (stdout: they do not fail the lint) */
  warnings: string[]
  envVarProblems: number
}

const deprecation = /is deprecated$/

/**
 * Exit status and, per file, what was reported where. Without --deprecated Bento prints the
 * deprecation warnings on stdout and, when something else fails, again among the problems on
 * stderr; they count as warnings only.
 */
function lint(command: string, args: string[]) {
  const env = { ...process.env }
  delete env[unset]
  const result = spawnSync(command, args, { cwd: dir, env, encoding: 'utf8' })
  const byFile: Record<string, FileLints> = {}
  const rejectDeprecated = args.includes('--deprecated')
  const read = (text: string, into: 'lines' | 'warnings') => {
    for (const line of text.split('\n').filter((l) => l !== '')) {
      const at = /^([^:(]+)(?:\((\d+),\d+\)|:(\d+):\d+:)/.exec(line)
      if (at === null) throw new Error(`${command}: not a lint finding: ${line}`)
      byFile[at[1]!] ??= { lines: [], warnings: [], envVarProblems: 0 }
      const file = byFile[at[1]!]!
      const where = deprecation.test(line) && !rejectDeprecated ? 'warnings' : into
      if (/required environment variables were not set|environment variable \w+ is not set/.test(line))
        file.envVarProblems++
      else if (!file[where].includes(at[2] ?? at[3]!)) file[where].push(at[2] ?? at[3]!)
    }
  }
  read(result.stderr, 'lines')
  read(result.stdout, 'warnings')
  for (const file of Object.values(byFile)) {
    file.lines.sort((a, b) => Number(a) - Number(b))
    file.warnings.sort((a, b) => Number(a) - Number(b))
  }
  return { status: result.status, byFile }
}

// One run per flag set over all the files: every start of ours costs a Node start-up.
describe('lint flags match bento lint', () => {
  const names = Object.keys(files)
  for (const flags of flagSets) {
    test(flags.join(' ') || '(no flags)', () => {
      const want = lint(bento, ['lint', ...flags, ...names])
      const got = lint(process.execPath, [main, 'lint', ...flags, ...names])
      expect(got).toEqual(want)
    })
  }

  test('each flag changes what Bento reports for its file', () => {
    const plain = lint(bento, ['lint', ...names]).byFile
    expect(plain['labels.yaml']).toBeUndefined()
    expect(plain['deprecated.yaml']).toEqual({ lines: [], warnings: ['13'], envVarProblems: 0 })
    expect(plain['env.yaml']).toEqual({ lines: [], warnings: [], envVarProblems: 1 })
    expect(lint(bento, ['lint', 'deprecated.yaml']).status).toBe(0)
    expect(lint(bento, ['lint', '--labels', 'labels.yaml']).byFile).toEqual({
      'labels.yaml': { lines: ['2', '8', '10'], warnings: [], envVarProblems: 0 },
    })
    expect(lint(bento, ['lint', '--skip-env-var-check', 'env.yaml'])).toEqual({ status: 0, byFile: {} })
    expect(lint(bento, ['lint', '--deprecated', 'deprecated.yaml']).byFile).toEqual({
      'deprecated.yaml': { lines: ['13'], warnings: [], envVarProblems: 0 },
    })
  })
})
