// The child process of the crash test: runs the stream config given as the first argument (with
// this package registered) until it is killed, or stops cleanly on SIGTERM.
import { readFileSync } from 'node:fs'
import { createLogger, loadStreamConfig, standardEnvironment, startStream } from '@bento-ts/core'
import { register } from '../src/index.ts'

const env = standardEnvironment()
register(env)
const config = loadStreamConfig(readFileSync(process.argv[2]!, 'utf8'), env)
const stream = await startStream(config, env, { logger: createLogger({ level: 'WARN' }) })
process.once('SIGTERM', () => {
  void stream.stop(stream.shutdownTimeoutMs).then(() => process.exit(0))
})
await stream.done
