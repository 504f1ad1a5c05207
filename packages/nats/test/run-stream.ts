// The child process of the crash test: runs the stream config given as its argument with this
// package registered, until it is killed (or stopped with SIGTERM).
import { standardEnvironment, startStreamFromFile } from '@bento-ts/core'
import { register } from '../src/index.ts'

const path = process.argv[2]
if (path === undefined) throw new Error('usage: node run-stream.ts <config.yaml>')
const env = standardEnvironment()
register(env)
const stream = await startStreamFromFile(path, env)
process.on('SIGTERM', () => {
  stream.stop(stream.shutdownTimeoutMs).then(() => process.exit(0))
})
await stream.done
