// Child process of the crash, group and outage tests: runs the stream config given as the first
// argument with this package registered, until SIGTERM (graceful stop) or SIGKILL.
//   node test/run-stream.ts <config.yaml>
import { readFileSync } from 'node:fs'
import { createLogger, loadStreamConfig, standardEnvironment, startStream } from '@bento-ts/core'
import { register } from '../src/index.ts'

const path = process.argv[2]
if (path === undefined) throw new Error('usage: run-stream.ts <config.yaml>')
const env = standardEnvironment()
register(env)
const config = loadStreamConfig(readFileSync(path, 'utf8'), env)
const stream = await startStream(config, env, {
  logger: createLogger({ level: process.env.LOG_LEVEL ?? 'WARN', format: 'logfmt' } as never),
})
process.once('SIGTERM', () => {
  stream.stop(10_000).then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
await stream.done
