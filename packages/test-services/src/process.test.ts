import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test, vi } from 'vitest'

const dir = mkdtempSync(join(tmpdir(), 'services-test-'))
vi.stubEnv('BENTO_TS_SERVICES_DIR', dir)
const { isAlive, logFile, mustRun, pidFile, runningPid, startDetached, stopDetached, waitUntil } =
  await import('./process.ts')
const { mkdirSync } = await import('node:fs')

afterAll(() => vi.unstubAllEnvs())

describe('waitUntil', () => {
  test('resolves ready as soon as the probe succeeds after failing', async () => {
    let calls = 0
    const outcome = await waitUntil(
      async () => {
        calls++
        if (calls < 3) throw new Error(`not yet ${calls}`)
        return true
      },
      5_000,
      () => true,
    )
    expect(outcome).toEqual({ ready: true })
    expect(calls).toBe(3)
  })

  test('gives up at once when the process died, reporting the last probe error', async () => {
    const outcome = await waitUntil(
      async () => {
        throw new Error('connection refused')
      },
      60_000,
      () => false,
    )
    expect(outcome).toEqual({ ready: false, lastError: 'connection refused' })
  })

  test('gives up after the deadline', async () => {
    const outcome = await waitUntil(
      async () => false,
      300,
      () => true,
    )
    expect(outcome.ready).toBe(false)
  })
})

describe('mustRun', () => {
  test('names what failed, the command and the tail of its output', async () => {
    await expect(mustRun('demo: listing', 'sh', ['-c', 'echo first; echo boom >&2; exit 3'])).rejects.toThrow(
      /demo: listing failed \(exit 3\): sh -c .*\nfirst\nboom/,
    )
  })

  test('reports a missing program instead of hanging', async () => {
    await expect(mustRun('demo', 'no-such-program-here', [])).rejects.toThrow(/exit 127/)
  })
})

describe('startDetached and stopDetached', () => {
  test('start a process with a pid file and log, and stop its whole group', async () => {
    mkdirSync(join(dir, 'sleeper'), { recursive: true })
    // A shell with a child: stopping must end the child too (the group), not only the shell.
    const pid = startDetached('sleeper', 'sh', ['-c', 'echo started; sleep 30 & wait'])
    expect(runningPid('sleeper')).toBe(pid)
    await waitUntil(
      async () => readFileSync(logFile('sleeper'), 'utf8').includes('started'),
      5_000,
      () => true,
    )

    expect(await stopDetached('sleeper', 5_000)).toBe(true)
    expect(isAlive(pid)).toBe(false)
    expect(existsSync(pidFile('sleeper'))).toBe(false)
    expect(await stopDetached('sleeper')).toBe(false)
  })
})
