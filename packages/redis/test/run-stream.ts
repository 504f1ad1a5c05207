// The child process of the crash and outage tests: runs the stream config file named on the
// command line with the Redis components until its input ends, or SIGTERM stops it (or SIGKILL).
import { standardEnvironment, startStreamFromFile } from '@bento-ts/core'
import { register } from '../src/index.ts'

const file = process.argv[2]
if (file === undefined) throw new Error('usage: node run-stream.ts <config.yaml>')
const env = standardEnvironment()
register(env)
const stream = await startStreamFromFile(file, env)
process.once('SIGTERM', () => {
  void stream.stop(stream.shutdownTimeoutMs).then(() => process.exit(0))
})
await stream.done
