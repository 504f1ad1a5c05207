// `test`: runs config unit tests and reports as `bento test` does: a line per config, then the
// failures (lint problems of the config, then each failed case with its line and reasons).
// Exit status: 0 when every config passed, 1 otherwise (also when no tests were found).
import { readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { styleText } from 'node:util'
import {
  type Batch,
  type Environment,
  formatProblem,
  type Logger,
  lintStreamConfig,
  Message,
  type Processor,
  type TestCase,
  type TestInput,
} from '@bento-ts/core'
import { compileConditions } from './conditions.ts'
import { caseProcessors } from './processors.ts'
import { findTargets, type TestTarget } from './targets.ts'

export interface TestOptions {
  resources: readonly string[]
  logger: Logger
  write: (text: string) => void
  writeError: (text: string) => void
}

interface CaseFailure {
  name: string
  line: number
  reason: string
}

/** Sets a case's variables for as long as it runs, then puts back what was there. */
function withEnvironment(vars: Record<string, string> | undefined): () => void {
  if (vars === undefined) return () => {}
  const before = new Map(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  return () => {
    for (const [k, v] of before) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

function inputMessage(input: TestInput, dir: string): Message {
  let content = input.content ?? ''
  if (input.json_content !== undefined) content = JSON.stringify(input.json_content)
  const message =
    input.file_content !== undefined
      ? new Message(readFileSync(`${dir}/${input.file_content}`))
      : new Message(content)
  for (const [k, v] of Object.entries(input.metadata ?? {})) message.metadata.set(k, v)
  return message
}

/** Bento's ExecuteAll: each processor in turn over every batch the previous one produced. */
async function executeAll(processors: readonly Processor[], batches: Batch[]): Promise<Batch[]> {
  let current = batches
  for (const processor of processors) {
    if (current.length === 0) break
    const next: Batch[] = []
    for (const batch of current)
      for (const b of await processor.process(batch)) if (b.length > 0) next.push(b)
    current = next
  }
  return current
}

const printBytes = (batch: Batch): string => `[${batch.map((m) => JSON.stringify(m.text())).join(' ')}]`

async function runCase(
  testCase: TestCase & { line: number },
  target: TestTarget,
  env: Environment,
  options: TestOptions,
): Promise<CaseFailure[]> {
  const failures: CaseFailure[] = []
  const fail = (reason: string) => failures.push({ name: testCase.name, line: testCase.line, reason })
  const dir = dirname(target.config)
  let built: Awaited<ReturnType<typeof caseProcessors>>
  try {
    built = await caseProcessors(testCase, target.config, env, options)
  } catch (err) {
    const what =
      testCase.target_mapping !== ''
        ? `failed to initialise Bloblang mapping '${testCase.target_mapping}'`
        : `failed to initialise processors '${testCase.target_processors}'`
    throw new Error(`${what}: ${(err as Error).message}`)
  }
  try {
    const inputs: Batch[] = []
    if (testCase.input_batches !== undefined)
      for (const b of testCase.input_batches) inputs.push(b.map((i) => inputMessage(i, dir)))
    if (testCase.input_batch !== undefined && testCase.input_batch.length > 0)
      inputs.push(testCase.input_batch.map((i) => inputMessage(i, dir)))
    const expectations = (testCase.output_batches ?? []).map((batch) =>
      batch.map((conditions) => compileConditions(conditions, dir)),
    )
    let outputs: Batch[] = []
    try {
      outputs = await executeAll(built.processors, inputs)
    } catch (err) {
      fail(`processors resulted in error: ${(err as Error).message}`)
    }
    if (outputs.length < expectations.length)
      fail(`wrong batch count, expected ${expectations.length}, got ${outputs.length}`)
    for (const [i, batch] of outputs.entries()) {
      const want = expectations[i]
      if (want === undefined) {
        fail(`unexpected batch: ${printBytes(batch)}`)
        continue
      }
      if (want.length !== batch.length)
        fail(`mismatch of output batch ${i} message counts, expected ${want.length}, got ${batch.length}`)
      for (const [j, message] of batch.entries()) {
        const conditions = want[j]
        if (conditions === undefined) {
          fail(`unexpected message from batch ${i}: ${message.text()}`)
          continue
        }
        const reasons = conditions.check(message)
        for (const reason of reasons) fail(`batch ${i} message ${j}: ${reason}`)
        if (message.error !== undefined && reasons.length > 0)
          fail(`batch ${i} message ${j}: ${styleText('red', message.error.message)}`)
      }
    }
  } finally {
    for (const p of built.processors) await p.close?.()
    await built.close()
  }
  return failures
}

/** Lints a target's config as Bento does before its tests: variables are the cases' business. */
function lintTarget(target: TestTarget, env: Environment): string[] {
  const text = readFileSync(target.config, 'utf8')
  return lintStreamConfig(text, env, { file: target.config, skipEnvVarCheck: true }).map(formatProblem)
}

/** Runs every target under `paths`; true when all passed. */
export async function runTests(
  paths: readonly string[],
  env: Environment,
  options: TestOptions,
): Promise<boolean> {
  const { write, writeError } = options
  let targets: TestTarget[]
  try {
    targets = findTargets(paths, env)
  } catch (err) {
    writeError(`Failed to obtain test targets: ${(err as Error).message}\n`)
    return false
  }
  if (targets.length === 0) {
    write(`${styleText('yellow', 'No tests were found')}\n`)
    return false
  }
  const failed: { target: string; lints: string[]; cases: CaseFailure[] }[] = []
  for (const target of targets) {
    const lints = lintTarget(target, env)
    const cases: CaseFailure[] = []
    for (const [i, testCase] of target.cases.entries()) {
      const restore = withEnvironment(testCase.environment)
      try {
        cases.push(...(await runCase(testCase, target, env, options)))
      } catch (err) {
        writeError(
          `Failed to execute test target '${target.config}': test case ${i} failed: ${(err as Error).message}\n`,
        )
        return false
      } finally {
        restore()
      }
    }
    if (lints.length > 0 || cases.length > 0) {
      failed.push({ target: target.config, lints, cases })
      write(`Test '${target.config}' ${styleText('red', 'failed')}\n`)
    } else write(`Test '${target.config}' ${styleText('green', 'succeeded')}\n`)
  }
  if (failed.length === 0) return true
  write('\nFailures:\n\n')
  failed.forEach((f, i) => {
    if (i > 0) write('\n')
    write(`--- ${f.target} ---\n\n`)
    for (const lint of f.lints) write(`Lint: ${lint}\n`)
    if (f.cases.length > 0 && f.lints.length > 0) write('\n')
    let previous: string | undefined
    f.cases.forEach((c, j) => {
      if (c.name !== previous) {
        if (j > 0) write('\n')
        write(`${c.name} [line ${c.line}]:\n`)
        previous = c.name
      }
      write(`${c.reason}\n`)
    })
  })
  return false
}
