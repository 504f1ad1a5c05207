// Side by side: one stream config run by Bento (the `bento-lite` reference binary, Bento v1.20.0
// with its standard components) and by our CLI, each in its own temporary output folder, and the
// outputs put in a shape that compares exactly, or order-insensitively where Bento's order is not
// defined either.
import { spawn } from 'node:child_process'
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { ensureTool, repoRoot } from '@bento-ts/test-services'
import { parse as parseYaml } from 'yaml'

export const testDir = import.meta.dirname
export const streamsDir = join(testDir, 'streams')
export const fixturesDir = join(streamsDir, 'fixtures')
export const lintDir = join(testDir, 'lint')
const fromSource = join(testDir, 'from-source.ts')
const ourMain = join(repoRoot, 'apps/plugin/src/main.ts')

export type Engine = 'bento' | 'ours'

/** Builds (or finds) the reference binary; the first build takes about a minute, later ones a second. */
export const bentoLite = (): Promise<string> => ensureTool('bento-lite')

/**
 * The command line of an engine. Ours is the plugin's CLI run by this Node from its TypeScript
 * sources, with every @bento-ts package resolved to its src/ (from-source.ts): what is tested is
 * the working tree, never a stale dist/.
 */
export function engineCommand(engine: Engine, bentoPath: string, args: string[]): [string, string[]] {
  if (engine === 'bento') return [bentoPath, args]
  return [process.execPath, ['--import', fromSource, ourMain, ...args]]
}

export interface ProcessResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
  ms: number
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  /** a file fed to stdin; without one stdin is /dev/null */
  stdin?: string
  cwd?: string
  timeoutMs?: number
}

/** Runs a command to its end (or kills it at the deadline), capturing stdout and stderr apart. */
export function runProcess(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<ProcessResult> {
  const started = performance.now()
  const stdinFd = options.stdin === undefined ? undefined : openSync(options.stdin, 'r')
  return new Promise<ProcessResult>((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: [stdinFd ?? 'ignore', 'pipe', 'pipe'],
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs ?? 30_000)
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      clearTimeout(timer)
      if (stdinFd !== undefined) closeSync(stdinFd)
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8') + (error === undefined ? '' : `\n${error.message}`),
        timedOut,
        ms: Math.round(performance.now() - started),
      })
    }
    child.on('error', (err) => finish(127, null, err))
    child.on('close', (code, signal) => finish(code, signal))
  })
}

/**
 * What a config says about itself in `# key: value` comment lines at its top:
 * - `order: exact | unordered`: unordered when Bento's own order is not defined (threads > 1,
 *   max_in_flight > 1, brokers merging inputs); default exact
 * - `compare: stdout | files`: `files` ignores stdout (Bento logs there when the output is not
 *   stdout) and compares only the files written under OUT_DIR; default stdout (and the files)
 * - `stdin: <fixture>`: a file of streams/fixtures/ fed to stdin
 * - lint configs: `error-at: line:col`, where ours must report the first problem; `bento: run`
 *   when Bento's lint accepts the config and only its run rejects it
 */
export interface Directives {
  order: 'exact' | 'unordered'
  compare: 'stdout' | 'files'
  stdin?: string
  errorAt?: { line: number; column: number }
  bento: 'lint' | 'run'
}

export function readDirectives(text: string): Directives {
  const found: Record<string, string> = {}
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break
    const m = line.match(/^#\s*([a-z-]+):\s*(\S.*?)\s*$/)
    if (m !== null) found[m[1]!] = m[2]!
  }
  const order = found.order ?? 'exact'
  const compare = found.compare ?? 'stdout'
  const bento = found.bento ?? 'lint'
  if (order !== 'exact' && order !== 'unordered') throw new Error(`order: ${order} is not exact or unordered`)
  if (compare !== 'stdout' && compare !== 'files')
    throw new Error(`compare: ${compare} is not stdout or files`)
  if (bento !== 'lint' && bento !== 'run') throw new Error(`bento: ${bento} is not lint or run`)
  const at = found['error-at']?.match(/^(\d+):(\d+)$/)
  return {
    order,
    compare,
    bento,
    ...(found.stdin === undefined ? {} : { stdin: found.stdin }),
    ...(at === undefined || at === null ? {} : { errorAt: { line: Number(at[1]), column: Number(at[2]) } }),
  }
}

export interface StreamRun extends ProcessResult {
  engine: Engine
  outDir: string
  /** every file written under OUT_DIR, by path relative to it */
  files: Record<string, string>
}

function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name)
      if (statSync(path).isDirectory()) walk(path)
      else files[relative(dir, path)] = readFileSync(path, 'utf8')
    }
  }
  walk(dir)
  return files
}

/** A fresh scratch folder for one test; removed by cleanup(). */
export function scratch(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `bento-ts-${prefix}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** The environment a config runs in: OUT_DIR and FIXTURES set, BENTO_TS_UNSET_… unset. */
export function configEnv(outDir: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, OUT_DIR: outDir, FIXTURES: fixturesDir }
  for (const name of Object.keys(env)) if (name.startsWith('BENTO_TS_UNSET_')) delete env[name]
  return env
}

/**
 * Runs a stream config with one engine. The config reaches its files through `${OUT_DIR}` (a
 * folder of this engine's own) and `${FIXTURES}`; `${BENTO_TS_UNSET_…}` variables are guaranteed unset.
 */
export async function runStreamConfig(
  engine: Engine,
  bentoPath: string,
  configPath: string,
  workDir: string,
  directives: Directives,
  timeoutMs = 30_000,
): Promise<StreamRun> {
  const outDir = join(workDir, engine)
  mkdirSync(outDir, { recursive: true })
  const env = configEnv(outDir)
  const args = engine === 'bento' ? ['-c', configPath] : ['run', '-c', configPath]
  const [command, argv] = engineCommand(engine, bentoPath, args)
  const result = await runProcess(command, argv, {
    env,
    timeoutMs,
    ...(directives.stdin === undefined ? {} : { stdin: join(fixturesDir, directives.stdin) }),
  })
  return { ...result, engine, outDir, files: readTree(outDir) }
}

/** The part of a run that must be equal between the engines, ordered as the directives say. */
export interface Comparable {
  stdout?: string[]
  files: Record<string, string[]>
}

export function comparable(run: StreamRun, directives: Directives): Comparable {
  // Lines, keeping a last '' when the text ends with a newline, so a missing newline is a difference.
  const lines = (text: string) => {
    const all = text.split('\n')
    return directives.order === 'unordered' ? all.sort() : all
  }
  const files: Record<string, string[]> = {}
  for (const [name, text] of Object.entries(run.files)) files[name] = lines(text)
  return directives.compare === 'stdout' ? { stdout: lines(run.stdout), files } : { files }
}

const clip = (line: string) => (line.length > 200 ? `${line.slice(0, 200)}…` : line)

function lineDifferences(
  what: string,
  ours: string[],
  bento: string[],
  unordered: boolean,
  max: number,
): string[] {
  const out: string[] = []
  if (unordered) {
    const count = new Map<string, number>()
    for (const line of bento) count.set(line, (count.get(line) ?? 0) + 1)
    const onlyOurs: string[] = []
    for (const line of ours) {
      const left = count.get(line) ?? 0
      if (left > 0) count.set(line, left - 1)
      else onlyOurs.push(line)
    }
    const onlyBento = [...count].flatMap(([line, n]) => Array<string>(n).fill(line))
    if (onlyBento.length > 0)
      out.push(
        `${what}: ${onlyBento.length} line(s) only in Bento's output, e.g. ${onlyBento.slice(0, max).map(clip).join(' | ')}`,
      )
    if (onlyOurs.length > 0)
      out.push(
        `${what}: ${onlyOurs.length} line(s) only in ours, e.g. ${onlyOurs.slice(0, max).map(clip).join(' | ')}`,
      )
    return out
  }
  if (ours.length !== bento.length)
    out.push(`${what}: Bento wrote ${bento.length} line(s), ours ${ours.length}`)
  for (let i = 0; i < Math.max(ours.length, bento.length) && out.length < max + 1; i++) {
    if (ours[i] !== bento[i])
      out.push(
        `${what} line ${i + 1}: Bento ${clip(JSON.stringify(bento[i]) ?? '(none)')}, ours ${clip(JSON.stringify(ours[i]) ?? '(none)')}`,
      )
  }
  return out
}

/**
 * Where our output differs from Bento's, one short line per difference (at most a few per
 * stream or file), empty when they are the same.
 */
export function differences(ours: Comparable, bento: Comparable, directives: Directives, max = 5): string[] {
  const unordered = directives.order === 'unordered'
  const out: string[] = []
  if (bento.stdout !== undefined)
    out.push(...lineDifferences('stdout', ours.stdout ?? [], bento.stdout, unordered, max))
  for (const name of Object.keys(bento.files)) {
    const mine = ours.files[name]
    if (mine === undefined) out.push(`file ${name}: written by Bento, not by ours`)
    else out.push(...lineDifferences(`file ${name}`, mine, bento.files[name]!, unordered, max))
  }
  for (const name of Object.keys(ours.files))
    if (bento.files[name] === undefined) out.push(`file ${name}: written by ours, not by Bento`)
  return out
}

/** A short account of a run for a failure message. */
export function describeRun(run: StreamRun): string {
  const status = run.timedOut
    ? 'timed out'
    : run.signal !== null
      ? `killed by ${run.signal}`
      : `exit ${run.code}`
  const tail = (text: string) => text.trim().split('\n').slice(-15).join('\n')
  return `${run.engine}: ${status} after ${run.ms} ms\n--- stderr (last lines)\n${tail(run.stderr)}\n--- stdout (last lines)\n${tail(run.stdout)}`
}

/** A config of streams/ that is not compared yet, and why (pending.yaml). */
export interface Pending {
  config: string
  /**
   * `missing`: ours does not have a component it uses, so our lint rejects it; the test checks
   * that it still does. `differs`: ours runs it but produces other output (reason says how); the
   * test checks that it still differs.
   */
  kind: 'missing' | 'differs'
  reason: string
}

export function loadPending(): Pending[] {
  const doc = parseYaml(readFileSync(join(streamsDir, 'pending.yaml'), 'utf8')) as { pending?: unknown }
  const list = (doc.pending ?? []) as Partial<Pending>[]
  return list.map((p, i) => {
    if (typeof p.config !== 'string' || typeof p.reason !== 'string' || p.reason.trim() === '')
      throw new Error(`pending.yaml entry ${i}: needs config and reason`)
    const kind = p.kind ?? 'missing'
    if (kind !== 'missing' && kind !== 'differs') throw new Error(`pending.yaml ${p.config}: kind ${kind}`)
    return { config: p.config, kind, reason: p.reason.trim() }
  })
}

export const streamConfigs = (): string[] =>
  readdirSync(streamsDir)
    .filter((f) => f.endsWith('.yaml') && f !== 'pending.yaml')
    .sort()

export const lintConfigs = (): string[] =>
  readdirSync(lintDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()

/** Lints with one engine: `bento-lite lint <file>` / `… main.ts lint <file>`. */
export function lintWith(
  engine: Engine,
  bentoPath: string,
  configPath: string,
  env: Record<string, string | undefined> = configEnv(tmpdir()),
): Promise<ProcessResult> {
  const [command, argv] = engineCommand(engine, bentoPath, ['lint', configPath])
  return runProcess(command, argv, { env, timeoutMs: 30_000 })
}
