// The flags Bento's `run`, `streams`, `echo` and `lint` share: `-e/--env-file` (dotenv files into
// the environment), `-s/--set path=value` (fields overridden before the config is read),
// `--log.level` (the logger's level), `--chilled` (run despite problems that only mean ignored
// fields). One place turns a config file plus these flags into the text to load.
import { readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import { type Command, Option } from 'commander'
import { parseDocument } from 'yaml'

export interface RunFlags {
  config?: string
  resources?: string[]
  set?: string[]
  envFile?: string[]
  'log.level'?: string
  chilled?: boolean
  watcher?: boolean
  templates?: string[]
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value]

/** Adds the shared flags to a command (the root, `run`, `streams`). */
export function withRunFlags(command: Command, options: { config: boolean }): Command {
  if (options.config) command.option('-c, --config <path>', 'the main config file')
  return command
    .addOption(
      new Option(
        '-r, --resources <path>',
        'a file of resources (caches, rate limits, …) to add; repeatable',
      ).argParser(collect),
    )
    .addOption(
      new Option('-t, --templates <path>', 'a template file to add; globs allowed; repeatable').argParser(
        collect,
      ),
    )
    .addOption(
      new Option(
        '-s, --set <path=value>',
        'set a field (a dot path) in the main config, e.g. "logger.level=debug"; repeatable',
      ).argParser(collect),
    )
    .addOption(
      new Option(
        '-e, --env-file <path>',
        'read environment variables from a dotenv file; repeatable',
      ).argParser(collect),
    )
    .addOption(
      new Option('--log.level <level>', 'override the configured log level').choices([
        'off',
        'none',
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'all',
      ]),
    )
    .option(
      '--chilled',
      'continue to execute a config containing linter errors (fields that would be ignored)',
      false,
    )
    .option('-w, --watcher', 'watch config files for changes and apply them', false)
}

/** The flags given to the root and to the subcommand, the subcommand's winning. */
export function mergedFlags(command: Command): RunFlags {
  const chain: Command[] = []
  for (let c: Command | null = command; c !== null; c = c.parent) chain.unshift(c)
  const out: RunFlags = {}
  for (const c of chain) {
    for (const [k, v] of Object.entries(c.opts() as RunFlags)) {
      if (v === undefined || v === false) continue
      const key = k as keyof RunFlags
      const earlier = out[key]
      ;(out as Record<string, unknown>)[key] =
        Array.isArray(v) && Array.isArray(earlier) ? [...earlier, ...v] : v
    }
  }
  return out
}

/** Loads dotenv files into the environment (a file's value replaces what was set, as in Bento). */
export function loadEnvFiles(paths: readonly string[]): void {
  for (const path of paths) {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      throw new Error(`failed to read env file ${path}: ${(err as Error).message}`)
    }
    Object.assign(process.env, parseEnv(text))
  }
}

/**
 * The config text with `--set` and `--log.level` applied. A value is read as YAML (`5` is a number,
 * `true` a bool, `[a, b]` a list); a path segment that is a number indexes a list.
 */
export function applySets(text: string, sets: readonly string[], logLevel?: string): string {
  const all = [...sets, ...(logLevel === undefined ? [] : [`logger.level=${logLevel.toUpperCase()}`])]
  if (all.length === 0) return text
  const doc = parseDocument(text)
  if (doc.errors.length > 0) return text // the config's own parse reports it, with its position
  for (const set of all) {
    const eq = set.indexOf('=')
    if (eq <= 0) throw new Error(`invalid --set "${set}": expected path=value, e.g. "logger.level=debug"`)
    const path = set
      .slice(0, eq)
      .split('.')
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
    const value = parseDocument(set.slice(eq + 1)).contents
    doc.setIn(path, value)
  }
  return doc.toString()
}
