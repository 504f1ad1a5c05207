// `lint [paths...]`: problems go to stderr as file:line:column: path: message; exit status 1 when
// there is any. Deprecated fields and components are, as in `bento lint`, warnings on stdout that
// do not fail it, unless --deprecated makes them problems.
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
    const options = {
      file: path,
      skipEnvVarCheck: flags.skipEnvVarCheck === true,
      requireLabels: flags.labels === true,
    }
    const found = lintStreamConfig(text, env, { ...options, lintDeprecated: flags.deprecated === true })
    for (const problem of found) {
      process.stderr.write(`${formatProblem(problem)}\n`)
      problems++
    }
    if (flags.deprecated !== true) {
      // the deprecations are what a lint that reports them finds beyond the problems
      const reported = new Set(found.map(formatProblem))
      for (const warning of lintStreamConfig(text, env, { ...options, lintDeprecated: true }).map(
        formatProblem,
      ))
        if (!reported.has(warning)) process.stdout.write(`${warning}\n`)
    }
  }
  return problems > 0 ? 1 : 0
}
