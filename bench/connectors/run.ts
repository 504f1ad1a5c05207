// pnpm bench:connectors: every connector benchmark in this folder, one after the other.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const here = import.meta.dirname
let status = 0
for (const name of ['kafka', 'redis', 'http']) {
  const script = join(here, `${name}.ts`)
  if (!existsSync(script)) continue
  const r = spawnSync(process.execPath, [script, ...process.argv.slice(2)], { stdio: 'inherit' })
  if (r.status !== 0) status = r.status ?? 1
}
process.exit(status)
