// The crash test's child: runs the stream config given as the first argument with this package
// registered, until the stream ends, SIGTERM stops it, or the test SIGKILLs it.
import { standardEnvironment, startStreamFromFile } from '@bento-ts/core'
import { register } from '../src/index.ts'

const configPath = process.argv[2]
if (configPath === undefined) throw new Error('usage: node run-stream.ts <config.yaml>')

const env = standardEnvironment()
register(env)
const stream = await startStreamFromFile(configPath, env)
process.once('SIGTERM', () => {
  stream.stop(stream.shutdownTimeoutMs).then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
await stream.done
process.exit(0)
