// Stopping and starting one service from inside a test (broker-outage tests), through the same
// CLI `pnpm services:up|down` uses, so the server comes back exactly as it was configured.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { ServiceName } from './env.ts'
import { repoRoot } from './paths.ts'

const run = promisify(execFile)
const cli = join(repoRoot, 'packages/test-services/src/cli.ts')

async function services(command: 'up' | 'down', name: ServiceName): Promise<void> {
  try {
    await run(process.execPath, [cli, command, name], { timeout: 120_000 })
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string }
    throw new Error(`services ${command} ${name} failed: ${e.stderr || e.stdout || e.message}`)
  }
}

/** Stops the server (its data stays on disk). */
export const stopService = (name: ServiceName): Promise<void> => services('down', name)
/** Starts it again and waits until it answers a real request. */
export const startService = (name: ServiceName): Promise<void> => services('up', name)
