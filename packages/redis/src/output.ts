// What the four Redis outputs share: one connection, the commands of a batch sent in one pipeline,
// and the mapping of failures (a broken link: NotConnected, so the runtime reconnects and writes
// the batch again; an error answer: the batch is nacked).
import { type ComponentContext, type Message, NotConnected, type Output } from '@bento-ts/core'
import { abortable, BatchView } from '@bento-ts/core/kit'
import { Cluster } from 'ioredis'
import {
  commandError,
  connectClient,
  execPipeline,
  type RedisClient,
  type RedisConfig,
  redisClientFactory,
} from './client.ts'

export type Command = [name: string, ...args: (string | Buffer | number)[]]

/** The commands that write a batch (interpolations render through `view`); throws on a failed one. */
export type CommandsOf = (batch: Message[], view: BatchView) => Command[]

async function run(client: RedisClient, commands: Command[], what: string): Promise<void> {
  if (commands.length === 1) {
    const [name, ...args] = commands[0]!
    try {
      await client.call(name, ...args)
    } catch (err) {
      throw commandError(err, what)
    }
    return
  }
  // A cluster pipeline must stay within one slot; one command each lets the client route them.
  if (client instanceof Cluster) {
    await Promise.all(
      commands.map(([name, ...args]) =>
        client.call(name, ...args).catch((err: unknown) => {
          throw commandError(err, what)
        }),
      ),
    )
    return
  }
  const pipeline = client.pipeline()
  for (const [name, ...args] of commands) pipeline.call(name, ...args)
  await execPipeline(pipeline, what)
}

export function redisOutput(
  name: string,
  c: RedisConfig & { max_in_flight: number },
  context: ComponentContext,
  commandsOf: CommandsOf,
): Output {
  const makeClient = redisClientFactory(c)
  let client: RedisClient | undefined

  return {
    maxInFlight: c.max_in_flight,
    async connect(signal) {
      if (client !== undefined) return
      const r = makeClient({ name: `${context.label}-write` })
      await connectClient(r, signal)
      client = r
    },
    async write(batch, signal) {
      const r = client
      if (r === undefined) throw new NotConnected()
      const commands = commandsOf(batch, new BatchView(batch))
      if (commands.length === 0) return
      try {
        await abortable(run(r, commands, name), signal)
      } catch (err) {
        if (signal.aborted) throw err
        if (err instanceof NotConnected && client === r) {
          client = undefined
          r.disconnect()
        }
        throw err
      }
    },
    async close() {
      const r = client
      client = undefined
      if (r === undefined) return
      // QUIT lets replies under way arrive first; a dead link is just dropped.
      await r.quit().catch(() => r.disconnect())
    },
  }
}
