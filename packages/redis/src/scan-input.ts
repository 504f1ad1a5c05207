// `redis_scan` input: walks the keys of the database (SCAN, every master of a cluster) and gives
// one message per string key, `{"key": …, "value": …}` as Bento does, then ends. A scan started
// again after a lost connection starts over (SCAN cursors belong to one server's state).
import {
  type ComponentContext,
  type ConfigOf,
  EndOfInput,
  FieldError,
  field,
  type Input,
  Message,
} from '@bento-ts/core'
import { autoReplayNacksField, defineInput, inputSkeleton } from '@bento-ts/core/kit'
import { Cluster } from 'ioredis'
import {
  commandError,
  connectClient,
  isReplyError,
  type RedisClient,
  redisClientFactory,
  redisClientFields,
} from './client.ts'

const fields = [
  ...redisClientFields,
  autoReplayNacksField(),
  field.string('match', {
    default: '',
    examples: ['*', '1*', 'foo*', 'foo', '*4*'],
    description:
      'Iterates only elements matching the optional glob-style pattern. By default, it matches all elements.',
  }),
  field.int('count', {
    default: 100,
    advanced: true,
    description:
      'How many keys each SCAN call asks the server to look at (a hint); 0 leaves it to the server (10). Not a Bento field.',
  }),
] as const

export type ScanInputConfig = ConfigOf<typeof fields>

type Found = { key: string; value: string }

/** A connection: the servers to scan (each master of a cluster) and each one's cursor. */
interface Scan {
  client: RedisClient
  nodes: { node: RedisClient; cursor: string; done: boolean }[]
}

export function redisScanInput(c: ScanInputConfig, context: ComponentContext): Promise<Input> {
  if (c.count < 0) throw new FieldError('count', `must not be negative, got ${c.count}`)
  const makeClient = redisClientFactory(c)
  const found: Found[] = []

  /** One SCAN page of the first server not finished, with the values of its string keys. */
  const page = async (scans: Scan['nodes']): Promise<boolean> => {
    const scan = scans.find((s) => !s.done)
    if (scan === undefined) return false
    const args: (string | number)[] = [scan.cursor]
    if (c.match !== '') args.push('MATCH', c.match)
    if (c.count > 0) args.push('COUNT', c.count)
    const [cursor, keys] = (await scan.node.call('SCAN', ...args)) as [string, string[]]
    scan.cursor = cursor
    if (cursor === '0') scan.done = true
    if (keys.length === 0) return true
    const pipeline = scan.node.pipeline()
    for (const key of keys) pipeline.get(key)
    const results = (await pipeline.exec()) ?? []
    keys.forEach((key, i) => {
      const [err, value] = results[i] ?? [new Error('no reply'), null]
      if (err !== null) {
        if (!isReplyError(err)) throw err
        // Not a string (a hash, a list…): Bento's GET fails on it too; nothing to give.
        context.logger.warn(`redis_scan: key ${key} skipped: ${err.message}`)
      } else if (value !== null) found.push({ key, value: value as string })
    })
    return true
  }

  return inputSkeleton(c, context, {
    async connect(signal) {
      const client = makeClient({ name: `${context.label}-scan` })
      await connectClient(client, signal)
      // A scan started again after a lost connection starts over: cursors are one server's state.
      const nodes = (client instanceof Cluster ? client.nodes('master') : [client]).map((node) => ({
        node,
        cursor: '0',
        done: false,
      }))
      return { client, nodes }
    },

    async read(scan) {
      for (;;) {
        const next = found.shift()
        if (next !== undefined) {
          const message = Message.fromStructured(next, [['redis_key', next.key]])
          return { batch: [message], ack: async () => {} }
        }
        let more: boolean
        try {
          more = await page(scan.nodes)
        } catch (err) {
          throw commandError(err, 'redis_scan: scan')
        }
        if (!more) throw new EndOfInput()
      }
    },

    async disconnect(scan) {
      scan.client.disconnect()
    },
  })
}

export const redisScanInputPlugin = defineInput({
  name: 'redis_scan',
  status: 'stable',
  categories: ['Services'],
  summary:
    'Scans the set of keys in the current selected database and gets their values, using the Scan and Get commands.',
  description:
    'Optionally, iterates only elements matching a blob-style pattern. For example:\n- `*foo*` iterates only keys which contain `foo` in it.\n- `foo*` iterates only keys starting with `foo`.\n\nThis input generates a message for each key value pair in the following format:\n\n```json\n{"key":"foo","value":"bar"}\n```\n\nThe key is also set as the metadata `redis_key`. Keys that do not hold a string are skipped. The input ends after the last key.',
  fields,
  create: redisScanInput,
})
