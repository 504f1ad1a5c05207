import { execFile } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { silentLogger } from '@bento-ts/core'
import { ensureTool, goModuleDir } from '@bento-ts/test-services'
import { beforeAll, describe, expect, test } from 'vitest'
import { pluginEnvironment } from '../src/environment.ts'
import { runTests } from '../src/unit-test/run.ts'

// `workflow-plugin-bento test` against `bento test` on Bento's own config unit tests (its
// repository's config/test tree, read from the Go module cache, never committed): the same exit
// status, the same configs passing and failing, the same cases failing. A config needing a
// component we do not have is left out, and listed with the component names.
const main = join(import.meta.dirname, '../src/main.ts')
let bento = ''
const env = pluginEnvironment()
let tree = ''

beforeAll(async () => {
  ;[bento, tree] = await Promise.all([
    ensureTool('bento'),
    goModuleDir('github.com/warpstreamlabs/bento@v1.20.0').then((dir) => join(dir, 'config/test')),
  ])
}, 900_000)

interface Outcome {
  status: number
  output: string
}

function run(command: string, args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ status: code, output: `${stdout}${stderr}` })
    })
  })
}

/**
 * Our `test` on one file, in this process: the CLI's runner with the plugin's components, so the
 * 36 files do not each pay for a Node start-up (the directory tests below go through the CLI).
 */
async function runInProcess(file: string): Promise<Outcome> {
  let output = ''
  const passed = await runTests([join(tree, file)], env, {
    resources: [],
    logger: silentLogger,
    write: (text) => {
      output += text
    },
    writeError: (text) => {
      output += text
    },
  })
  return { status: passed ? 0 : 1, output: output.replaceAll(`${tree}/`, '') }
}

/** What `test` decided: exit status, each config's verdict, the failed cases with their lines. */
export function verdicts({ status, output }: Outcome) {
  const targets = [...output.matchAll(/^Test '(.+)' (succeeded|failed)$/gm)].map((m) => `${m[1]}: ${m[2]}`)
  const failedCases = [...output.matchAll(/^(.+) \[line (\d+)\]:$/gm)].map((m) => `${m[1]} (line ${m[2]})`)
  const aborted = /^Failed to (obtain|execute) test target/m.test(output)
  const none = /^No tests were found$/m.test(output)
  return { status, targets, failedCases, aborted, none }
}

const missingComponents = (output: string): string[] => [
  ...new Set([...output.matchAll(/unknown (\w+) type "(\w+)"/g)].map((m) => `${m[1]} ${m[2]}`)),
]

// Configs whose verdicts still differ for a reason outside `test` itself; each is asserted to still
// differ, so fixing the reason fails this test until the entry is removed.
const knownDifferences: Record<string, string> = {}

function yamlFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...yamlFiles(path))
    else if (/\.ya?ml$/.test(entry.name)) out.push(path)
  }
  return out.sort()
}

describe("Bento's config/test tree: our test verdicts are bento test's", () => {
  test('every config file', async () => {
    const files = yamlFiles(tree).map((f) => relative(tree, f))
    expect(files.length).toBeGreaterThan(30)
    const compared: string[] = []
    const skipped: string[] = []
    const mismatches: unknown[] = []
    // Two at a time: the machine is shared.
    for (let i = 0; i < files.length; i += 2) {
      await Promise.all(
        files.slice(i, i + 2).map(async (file) => {
          const [want, got] = await Promise.all([run(bento, ['test', file], tree), runInProcess(file)])
          const lacking = missingComponents(got.output)
          if (lacking.length > 0) {
            skipped.push(`${file}: needs ${lacking.join(', ')}`)
            return
          }
          const a = verdicts(want)
          const b = verdicts(got)
          const same = JSON.stringify(a) === JSON.stringify(b)
          const known = knownDifferences[file]
          if (known !== undefined) {
            skipped.push(`${file}: ${known}`)
            if (same)
              mismatches.push({ file, stale: 'now agrees with bento test: remove it from knownDifferences' })
            return
          }
          compared.push(file)
          if (!same)
            mismatches.push({ file, bento: a, ours: b, bentoOutput: want.output, ourOutput: got.output })
        }),
      )
    }
    console.log(
      `compared ${compared.length} config files with bento test; left out:\n  ${skipped.sort().join('\n  ')}`,
    )
    expect(mismatches).toEqual([])
    expect(compared.length).toBeGreaterThan(25)
  }, 600_000)

  for (const dir of ['cookbooks/...', 'resources/...']) {
    test(`a directory at once: test ${dir}`, async () => {
      const [want, got] = await Promise.all([
        run(bento, ['test', dir], tree),
        run(process.execPath, [main, 'test', dir], tree),
      ])
      expect(verdicts(got)).toEqual(verdicts(want))
    }, 120_000)
  }
})
