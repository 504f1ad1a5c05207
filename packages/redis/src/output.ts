// What the four Redis outputs share: one connection, the commands of a batch sent in one pipeline,
// and the mapping of failures: a broken link is NotConnected (the skeleton drops the connection,
// the runtime reconnects and writes the batch again); an error answer, or a message the commands
// could not be made for, fails only the messages concerned (a BatchError: the rest were written
// and are not sent again).
import { BatchError, type ComponentContext, type Message, NotConnected, type Output } from '@bento-ts/core'
import { abortable, BatchView, type OutputRuntimeConfig, outputSkeleton } from '@bento-ts/core/kit'
import { Cluster } from 'ioredis'
import {
  commandError,
  connectClient,
  type RedisClient,
  type RedisConfig,
  redisClientFactory,
} from './client.ts'

export type Command = [name: string, ...args: (string | Buffer | number)[]]

/** A command and the messages of the batch (their indexes) it writes. */
export interface Write {
  command: Command
  messages: readonly number[]
}

/** What writes a batch: the commands, and the messages no command could be made for. */
export interface Plan {
  writes: Write[]
  failures: [number, Error][]
}

/** The commands that write a batch (interpolations render through `view`). */
export type CommandsOf = (batch: Message[], view: BatchView) => Plan

/** One command per message, from a function that throws for a message it cannot write. */
export const perMessage =
  (commandOf: (message: Message, index: number, view: BatchView) => Command): CommandsOf =>
  (batch, view) => {
    const plan: Plan = { writes: [], failures: [] }
    batch.forEach((message, i) => {
      try {
        plan.writes.push({ command: commandOf(message, i, view), messages: [i] })
      } catch (err) {
        plan.failures.push([i, err as Error])
      }
    })
    return plan
  }

/**
 * Each command's outcome: undefined when it succeeded, else its error answer. A broken link
 * throws NotConnected (it wins over error answers: the batch is written again after reconnecting).
 */
async function run(client: RedisClient, commands: Command[], what: string): Promise<(Error | undefined)[]> {
  let errors: (Error | undefined)[]
  // A cluster pipeline must stay within one slot; one command each lets the client route them.
  if (commands.length === 1 || client instanceof Cluster) {
    const settled = await Promise.allSettled(commands.map(([name, ...args]) => client.call(name, ...args)))
    errors = settled.map((s) => (s.status === 'rejected' ? commandError(s.reason, what) : undefined))
  } else {
    const pipeline = client.pipeline()
    for (const [name, ...args] of commands) pipeline.call(name, ...args)
    let results: [Error | null, unknown][] | null
    try {
      results = await pipeline.exec()
    } catch (err) {
      throw commandError(err, what)
    }
    if (results === null) throw new NotConnected(`${what}: the pipeline was discarded`)
    errors = results.map(([err]) => (err === null ? undefined : commandError(err, what)))
  }
  const lost = errors.find((e) => e instanceof NotConnected)
  if (lost !== undefined) throw lost
  return errors
}

/**
 * The batch's failures as the runtime reads them: nothing when every message was written, the
 * error itself for a batch of one, else a BatchError naming only the failed messages.
 */
export function batchFailure(batch: Message[], failures: [number, Error][]): Error | undefined {
  if (failures.length === 0) return undefined
  if (batch.length === 1) return failures[0]![1]
  return new BatchError(batch, failures)
}

/** Writes a batch over a connected client; throws what `batchFailure` makes of the failures. */
export async function writeBatch(
  client: RedisClient,
  batch: Message[],
  commandsOf: CommandsOf,
  what: string,
  signal: AbortSignal,
): Promise<void> {
  const { writes, failures } = commandsOf(batch, new BatchView(batch))
  if (writes.length > 0) {
    const commands = writes.map((w) => w.command)
    const errors = await abortable(run(client, commands, what), signal)
    errors.forEach((error, k) => {
      if (error !== undefined) for (const i of writes[k]!.messages) failures.push([i, error])
    })
  }
  const failure = batchFailure(batch, failures)
  if (failure !== undefined) throw failure
}

export function redisOutput(
  name: string,
  config: RedisConfig & OutputRuntimeConfig,
  context: ComponentContext,
  commandsOf: CommandsOf,
): Output {
  const makeClient = redisClientFactory(config)
  return outputSkeleton(config, {
    async connect(signal) {
      const client = makeClient({ name: `${context.label}-write` })
      await connectClient(client, signal)
      return client
    },
    write: (client, batch, signal) => writeBatch(client, batch, commandsOf, name, signal),
    // QUIT lets replies under way arrive first; a dead link is just dropped.
    disconnect: async (client) => {
      await client.quit().catch(() => client.disconnect())
    },
  })
}
