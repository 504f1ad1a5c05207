// Installs the single executable where a workflow server looks for external plugins:
// <dest>/data/plugins/workflow-plugin-bento/{workflow-plugin-bento, plugin.json}. Builds the
// executable first when dist/exe has none (or with --rebuild).
//
//   pnpm --filter @bento-ts/plugin install:plugin -- --dest <dir> [--rebuild] [--node <node24>]
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { buildExe, exeName } from './build-exe.ts'

const appDir = resolve(import.meta.dirname, '..')

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: install-plugin --dest <dir> [--rebuild] [--node <node24>]\n`)
  process.exit(2)
}

const args = process.argv.slice(2).filter((a) => a !== '--')
const at = args.indexOf('--dest')
const destArg = at >= 0 ? args[at + 1] : undefined
if (destArg === undefined || destArg.startsWith('--')) usage('--dest is required')
// pnpm runs scripts in the package folder: a relative --dest means the caller's folder.
const dest = resolve(process.env.INIT_CWD ?? process.cwd(), destArg)

let exe = join(appDir, 'dist', 'exe', exeName)
if (args.includes('--rebuild') || !existsSync(exe)) exe = await buildExe(args)

const dir = join(dest, 'data', 'plugins', exeName)
mkdirSync(dir, { recursive: true })
copyFileSync(exe, join(dir, exeName))
chmodSync(join(dir, exeName), 0o755)
copyFileSync(join(appDir, 'plugin.json'), join(dir, 'plugin.json'))
process.stderr.write(`installed ${join(dir, exeName)} and plugin.json\n`)
