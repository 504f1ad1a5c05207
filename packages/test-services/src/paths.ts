import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRepoRoot(start: string): string {
  let dir = start
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${start}`)
    dir = parent
  }
  return dir
}

export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)))

// Everything the services write (downloads, data, logs, pid files) stays under one ignored folder;
// BENTO_TS_SERVICES_DIR moves it, e.g. to share one installation between checkouts.
export const stateDir = resolve(process.env.BENTO_TS_SERVICES_DIR ?? join(repoRoot, '.services'))
export const binDir = join(stateDir, 'bin')
export const envFile = join(stateDir, 'services.env')
export const serviceDir = (name: string): string => join(stateDir, name)
