// `lint [paths...]`: problems go to stderr as file:line:column: path: message; exit status 1 when
// there is any.
import { readFileSync } from 'node:fs'
import { type Environment, formatProblem, lintStreamConfig } from '@bento-ts/core'
import { expandPaths } from './paths.ts'

export interface LintFlags {
  deprecated?: boolean
  labels?: boolean
  skipEnvVarCheck?: boolean
}

export function lintFiles(paths: readonly string[], env: Environment, flags: LintFlags = {}): number {
  let problems = 0
  for (const path of expandPaths(paths)) {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      process.stderr.write(`${path}: ${(err as Error).message}\n`)
      problems++
      continue
    }
    for (const problem of lintStreamConfig(text, env, {
      file: path,
      skipEnvVarCheck: flags.skipEnvVarCheck === true,
      requireLabels: flags.labels === true,
      lintDeprecated: flags.deprecated === true,
    })) {
      process.stderr.write(`${formatProblem(problem)}\n`)
      problems++
    }
  }
  return problems > 0 ? 1 : 0
}
