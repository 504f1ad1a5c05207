// Stream configs as the streams API and files give them: text in, a checked config plus the source
// as written out. Lint problems are worded for the API (`(line,col) path: message`).
import {
  type ConfigProblem,
  type Environment,
  parseConfig,
  type StreamConfig,
  streamFields,
  substituteEnv,
} from '@bento-ts/core'
import { parse as parseYAML } from 'yaml'

/** `--chilled`: problems a config still runs with (fields we would ignore); anything else stops it. */
export const isChilledProblem = (p: ConfigProblem): boolean => /^field \S+ is not recognised/.test(p.message)

export const apiLint = (p: ConfigProblem): string =>
  `(${p.line},${p.column}) ${p.path === '' ? '' : `${p.path}: `}${p.message}`

export type ReadResult =
  | { ok: true; config: StreamConfig; source: unknown }
  /** lint problems: the API answers 400 with `{"lint_errors": [...]}` */
  | { ok: false; lints: string[] }
  /** the config cannot be read at all (not YAML, an unknown component type) */
  | { ok: false; error: string }

const unknownType = /^unknown (\w+) type "([^"]+)"/

/** Reads a stream config; `chilled` runs it despite problems that only mean ignored fields. */
export function readStreamConfig(
  text: string,
  env: Environment,
  chilled: boolean,
  file?: string,
): ReadResult {
  const swapped = substituteEnv(text, process.env, file)
  let source: unknown
  try {
    source = parseYAML(swapped.text) ?? {}
  } catch (err) {
    return { ok: false, error: (err as Error).message.split('\n')[0]! }
  }
  const { config, problems } = parseConfig(text, streamFields, env, {
    ...(file === undefined ? {} : { file }),
    skipEnvVarCheck: chilled,
  })
  // Bento cannot even parse a config naming a type it does not know: not a lint, a read error.
  const unknown = problems.find((p) => unknownType.test(p.message))
  if (unknown !== undefined) {
    const [, kind, name] = unknownType.exec(unknown.message)!
    return {
      ok: false,
      error: `(${unknown.line},${unknown.column}) unable to infer ${kind} type from candidates: [${name}]`,
    }
  }
  const blocking = chilled ? problems.filter((p) => !isChilledProblem(p)) : problems
  if (blocking.length > 0) return { ok: false, lints: blocking.map(apiLint) }
  return { ok: true, config: config as unknown as StreamConfig, source }
}
