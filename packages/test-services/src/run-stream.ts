// The child process of the crash and outage tests: runs a stream config file with one connector
// package registered until its input ends, SIGTERM stops it gracefully, or the test SIGKILLs it.
//   node run-stream.ts <package dir> <config.yaml>
import { readFileSync } from 'node:fs'
import { connectorRuntime } from './runtime.ts'

const [root, file] = process.argv.slice(2)
if (root === undefined || file === undefined)
  throw new Error('usage: node run-stream.ts <package dir> <config.yaml>')
const { core, environment } = await connectorRuntime(root)
const env = environment()
const config = core.loadStreamConfig(readFileSync(file, 'utf8'), env)
const stream = await core.startStream(config, env, {
  logger: core.createLogger({ level: process.env.LOG_LEVEL ?? 'WARN', format: 'logfmt' }),
})
process.once('SIGTERM', () => {
  stream.stop(stream.shutdownTimeoutMs).then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
await stream.done
process.exit(0)
