import { type SpawnOptions, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { serviceDir } from './paths.ts'

export const pidFile = (name: string): string => join(serviceDir(name), 'pid')
export const logFile = (name: string): string => join(serviceDir(name), `${name}.log`)

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function runningPid(name: string): number | undefined {
  if (!existsSync(pidFile(name))) return undefined
  const pid = Number(readFileSync(pidFile(name), 'utf8').trim())
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined
}

/** Starts a long-running server in its own process group, detached from us, output to its log. */
export function startDetached(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions = {},
): number {
  const out = openSync(logFile(name), 'a')
  try {
    const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', out, out] })
    if (child.pid === undefined) throw new Error(`could not spawn ${command}`)
    child.unref()
    writeFileSync(pidFile(name), `${child.pid}\n`)
    return child.pid
  } finally {
    closeSync(out)
  }
}

/** Stops a server started by startDetached: SIGTERM to its group, SIGKILL after the grace period. */
export async function stopDetached(name: string, graceMs = 10_000): Promise<boolean> {
  const pid = runningPid(name)
  rmSync(pidFile(name), { force: true })
  if (pid === undefined) return false
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal)
    } catch {
      // the group is already gone
    }
  }
  signalGroup('SIGTERM')
  const deadline = Date.now() + graceMs
  while (isAlive(pid) && Date.now() < deadline) await sleep(100)
  if (isAlive(pid)) signalGroup('SIGKILL')
  return true
}

export interface CommandResult {
  code: number
  output: string
}

/** Runs a one-shot command to completion, capturing stdout and stderr together. */
export function run(command: string, args: string[], options: SpawnOptions = {}): Promise<CommandResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', (err) => resolvePromise({ code: 127, output: `${output}${err.message}\n` }))
    child.on('close', (code) => resolvePromise({ code: code ?? 1, output }))
  })
}

export async function mustRun(what: string, command: string, args: string[], options: SpawnOptions = {}) {
  const result = await run(command, args, options)
  if (result.code !== 0) {
    throw new Error(
      `${what} failed (exit ${result.code}): ${command} ${args.join(' ')}\n${tail(result.output)}`,
    )
  }
  return result.output
}

export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

export function logTail(name: string, lines = 20): string {
  return existsSync(logFile(name)) ? tail(readFileSync(logFile(name), 'utf8'), lines) : '(no log)'
}

export async function which(command: string): Promise<string | undefined> {
  const result = await run('sh', ['-c', `command -v ${command}`])
  return result.code === 0 ? result.output.trim() : undefined
}

/** Polls `probe` until it resolves true or the deadline passes; the last probe error is kept for the report. */
export async function waitUntil(
  probe: () => Promise<boolean>,
  deadlineMs: number,
  stillRunning: () => boolean,
): Promise<{ ready: boolean; lastError?: string }> {
  const deadline = Date.now() + deadlineMs
  let lastError: string | undefined
  while (Date.now() < deadline) {
    try {
      if (await probe()) return { ready: true }
    } catch (err) {
      lastError = (err as Error).message
    }
    if (!stillRunning()) return { ready: false, lastError: lastError ?? 'the process exited' }
    await sleep(250)
  }
  return { ready: false, ...(lastError === undefined ? {} : { lastError }) }
}
