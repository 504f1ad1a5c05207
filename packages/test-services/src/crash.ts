// The at-least-once crash test shared by every connector: a child process runs a stream
// (source → mapping → sink); we SIGKILL it at random points of its progress and start it again,
// then check that every message reached the sink (lost = 0) and count the duplicates.
import { type ChildProcess, spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'

export interface CrashTestOptions {
  /** the child: `node <script> ...args`; it runs the stream until killed */
  script: string
  args?: string[]
  env?: Record<string, string>
  /** how many distinct messages the source holds */
  total: number
  /** messages in the sink so far, duplicates included (cheap: polled every 100 ms) */
  delivered(): Promise<number>
  /** the ids of every message in the sink, duplicates included (called at the end) */
  collect(): Promise<string[]>
  /** SIGKILLs, each at a random point between 10 % and 90 % of `total` delivered (default 3) */
  kills?: number
  /** give up after this long (default 5 minutes) */
  timeoutMs?: number
  random?: () => number
  /** how often `delivered` is asked while waiting for a kill point (default 20 ms) */
  pollMs?: number
  /** the id of message i (0 ≤ i < total); given, the result names up to 20 missing ids */
  idOf?: (i: number) => string
}

export interface CrashTestResult {
  total: number
  received: number
  distinct: number
  lost: number
  duplicates: number
  /** how many messages had been delivered at each kill */
  killedAt: number[]
  /** the missing ids, at most 20, for the failure message */
  missing: string[]
  /** the children's stderr, for diagnosis when something is lost */
  log: string
}

export async function runCrashTest(o: CrashTestOptions): Promise<CrashTestResult> {
  const random = o.random ?? Math.random
  const kills = o.kills ?? 3
  const thresholds = Array.from({ length: kills }, () => Math.floor(o.total * (0.1 + 0.8 * random()))).sort(
    (a, b) => a - b,
  )
  const deadline = Date.now() + (o.timeoutMs ?? 300_000)
  let log = ''
  const start = (): ChildProcess => {
    const child = spawn(process.execPath, [o.script, ...(o.args ?? [])], {
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      if (log.length < 1_000_000) log += chunk.toString()
    })
    return child
  }
  const killed = (child: ChildProcess): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGKILL')
    })

  const killedAt: number[] = []
  let child = start()
  try {
    for (const threshold of thresholds) {
      for (;;) {
        if (Date.now() > deadline)
          throw new Error(`crash test timed out waiting for ${threshold} delivered\n${log}`)
        if (child.exitCode !== null)
          throw new Error(`stream process exited early (${child.exitCode})\n${log}`)
        const n = await o.delivered()
        if (n >= threshold) {
          // A kill after the last delivery interrupts nothing: the test would pass without proving anything.
          if (n >= o.total)
            throw new Error(
              `crash test: the stream delivered all ${o.total} messages before kill ${killedAt.length + 1} (meant at ${threshold}); slow the stream down or raise total\n${log}`,
            )
          killedAt.push(n)
          break
        }
        await sleep(o.pollMs ?? 20)
      }
      await killed(child)
      log += `--- SIGKILL at ${killedAt.at(-1)} delivered, restarting ---\n`
      child = start()
    }
    // After the last restart, wait until every message arrived (or the deadline).
    let distinct = 0
    let ids: string[] = []
    for (;;) {
      const n = await o.delivered()
      if (n >= o.total) {
        ids = await o.collect()
        distinct = new Set(ids).size
        if (distinct >= o.total) break
      }
      if (Date.now() > deadline) {
        ids = await o.collect()
        distinct = new Set(ids).size
        break
      }
      await sleep(250)
    }
    const seen = new Set(ids)
    const missing: string[] = []
    if (o.idOf !== undefined) {
      for (let i = 0; i < o.total && missing.length < 20; i++)
        if (!seen.has(o.idOf(i))) missing.push(o.idOf(i))
    }
    return {
      total: o.total,
      received: ids.length,
      distinct: seen.size,
      lost: Math.max(0, o.total - seen.size),
      duplicates: ids.length - seen.size,
      killedAt,
      missing,
      log,
    }
  } finally {
    await killed(child)
  }
}
