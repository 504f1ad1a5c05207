// The `kafka` output. Writes under way at the same moment are coalesced into shared produce
// requests (one per topic chunk), so many small writes cost a few round trips, not one each;
// each write still succeeds or fails on its own messages: the failed ones are retried with
// Bento's backoff, and a write that gives up on some of them names only those (a BatchError).
import {
  BatchError,
  type ConfigOf,
  FieldError,
  field,
  type Logger,
  type Message,
  NotConnected,
  parseDuration,
} from '@bento-ts/core'
import {
  BatchView,
  backoffFromConfig,
  batchingField,
  defineOutput,
  type FieldInterpolation,
  interpolation,
  type MetadataFilter,
  maxInFlightField,
  metadataExcludeField,
  metadataExcludeFilter,
  outputSkeleton,
  pause,
  retryBackoffFields,
} from '@bento-ts/core/kit'
import type { Admin, IHeaders, Message as KafkaMessage, Producer } from 'kafkajs'
import {
  addressesField,
  checkClientConfig,
  clientIdField,
  kafkaClient,
  rackIdField,
  saslField,
  targetVersionField,
  tlsField,
} from './client.ts'
import { compressionTypes } from './codecs.ts'
import { partitionerFor, partitionerNames } from './partitioners.ts'

export type KafkaOutputConfig = ConfigOf<typeof kafkaOutputFields>

/** A message of a write, ready to send. */
interface OutRecord {
  topic: string
  message: KafkaMessage
}

/** Messages of one topic sent in one produce call, and the writes (and their messages) waiting on it. */
interface Chunk {
  topic: string
  messages: KafkaMessage[]
  bytes: number
  writes: { write: PendingWrite; indexes: number[] }[]
}

interface PendingWrite {
  remaining: number
  /** why each failed message (index into what was sent) failed */
  failures: Map<number, Error>
  resolve: (failures: Map<number, Error>) => void
}

// kafkajs groups a send's messages per partition in quadratic time, and a broker refuses a record
// batch over its message.max.bytes (1 MB by default): chunks stay well below both.
const chunkMessages = 500
const chunkBytes = 512 * 1024
const concurrentSends = 4

interface SendOptions {
  acks: number
  timeout: number
  compression: number
}

/**
 * One connection of the output: a producer (and an admin for topic creation) and the chunks
 * being filled and sent over it.
 */
export class ProducerConnection {
  readonly producer: Producer
  readonly admin: Admin | undefined
  readonly #send: SendOptions
  #open = new Map<string, Chunk>()
  #ready: Chunk[] = []
  #sending = 0
  #scheduled = false
  closed = false

  constructor(producer: Producer, admin: Admin | undefined, send: SendOptions) {
    this.producer = producer
    this.admin = admin
    this.#send = send
  }

  /** Adds messages to the open chunks; resolves, once every chunk holding them was sent, with the failed ones. */
  enqueue(records: readonly OutRecord[]): Promise<Map<number, Error>> {
    if (this.closed) return Promise.reject(new NotConnected('kafka: not connected'))
    return new Promise((resolve) => {
      const write: PendingWrite = { remaining: 0, failures: new Map(), resolve }
      // the chunk of each topic this write joined last, and its indexes there
      const joined = new Map<string, { chunk: Chunk; indexes: number[] }>()
      records.forEach(({ topic, message }, index) => {
        let chunk = this.#open.get(topic)
        const size = (message.value as Buffer).length
        if (
          chunk === undefined ||
          (chunk.messages.length > 0 &&
            (chunk.messages.length >= chunkMessages || chunk.bytes + size > chunkBytes))
        ) {
          if (chunk !== undefined) this.#ready.push(chunk)
          chunk = { topic, messages: [], bytes: 0, writes: [] }
          this.#open.set(topic, chunk)
        }
        chunk.messages.push(message)
        chunk.bytes += size
        let entry = joined.get(topic)
        if (entry?.chunk !== chunk) {
          entry = { chunk, indexes: [] }
          joined.set(topic, entry)
          chunk.writes.push({ write, indexes: entry.indexes })
          write.remaining++
        }
        entry.indexes.push(index)
      })
      if (write.remaining === 0) resolve(write.failures)
      else this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#flush()
    })
  }

  /** Sends what is ready, oldest first; with every send slot busy, chunks keep filling meanwhile. */
  #flush(): void {
    while (this.#sending < concurrentSends) {
      let chunk = this.#ready.shift()
      if (chunk === undefined) {
        const first = this.#open.entries().next()
        if (first.done === true) return
        this.#open.delete(first.value[0])
        chunk = first.value[1]
      }
      this.#sendChunk(chunk)
    }
  }

  #sendChunk(chunk: Chunk): void {
    this.#sending++
    const finish = (error: Error | undefined) => {
      this.#sending--
      for (const { write, indexes } of chunk.writes) {
        if (error !== undefined) for (const i of indexes) write.failures.set(i, error)
        if (--write.remaining === 0) write.resolve(write.failures)
      }
      if (this.#ready.length > 0 || this.#open.size > 0) this.#flush()
    }
    this.producer.send({ topic: chunk.topic, messages: chunk.messages, ...this.#send }).then(
      () => finish(undefined),
      (err: Error) => finish(err),
    )
  }

  async close(): Promise<void> {
    this.closed = true
    await this.producer.disconnect().catch(() => {})
    await this.admin?.disconnect().catch(() => {})
  }
}

/** What the output's config says once checked: how messages become records, how they are sent. */
export class KafkaWriter {
  readonly #config: KafkaOutputConfig
  readonly #logger: Logger
  readonly #topic: FieldInterpolation
  readonly #key: FieldInterpolation
  readonly #partition: FieldInterpolation | undefined
  readonly #filter: MetadataFilter
  readonly #staticHeaders: [string, string][]
  readonly #acks: number
  readonly #timeoutMs: number
  readonly #compression: number
  readonly #backoff: () => () => number | undefined
  readonly #knownTopics = new Set<string>()

  constructor(config: KafkaOutputConfig, logger: Logger) {
    this.#config = config
    this.#logger = logger
    this.#topic = interpolation('topic', config.topic)
    this.#key = interpolation('key', config.key)
    if (config.partitioner === 'manual' && config.partition === '')
      throw new FieldError('partition', "field required for 'manual' partitioner")
    if (config.partitioner !== 'manual' && config.partition !== '')
      throw new FieldError('partition', "field can only be specified for 'manual' partitioner")
    if (!partitionerNames.includes(config.partitioner))
      throw new FieldError('partitioner', `not recognised: ${config.partitioner}`)
    this.#partition = config.partition === '' ? undefined : interpolation('partition', config.partition)
    const compression = compressionTypes[config.compression]
    if (compression === undefined)
      throw new FieldError('compression', `codec not recognised: ${config.compression}`)
    this.#compression = compression
    this.#filter = metadataExcludeFilter(config.metadata)
    this.#staticHeaders = Object.entries(config.static_headers ?? {})
    this.#acks = config.ack_replicas || config.idempotent_write ? -1 : 1
    this.#timeoutMs = parseDuration(config.timeout)
    this.#backoff = backoffFromConfig(config)
    const custom = config.custom_topic_creation
    if (custom?.enabled === true) {
      if (custom.partitions !== -1 && custom.partitions < 1)
        throw new FieldError(
          'custom_topic_creation.partitions',
          `must be -1 or at least 1, got ${custom.partitions}`,
        )
      if (custom.replication_factor !== -1 && custom.replication_factor % 2 === 0)
        throw new FieldError(
          'custom_topic_creation.replication_factor',
          `must be an odd number, got ${custom.replication_factor}`,
        )
    }
  }

  async connect(): Promise<ProducerConnection> {
    const c = this.#config
    const client = kafkaClient(c, {
      logger: this.#logger,
      requestTimeoutMs: this.#timeoutMs + 5000,
      retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 2 },
    })
    const producer = client.producer({
      createPartitioner: partitionerFor(c.partitioner),
      allowAutoTopicCreation: true,
      idempotent: c.idempotent_write,
      ...(c.idempotent_write ? { maxInFlightRequests: 1 } : {}),
    })
    let admin: Admin | undefined
    try {
      await producer.connect()
      if (c.custom_topic_creation?.enabled === true) {
        admin = client.admin()
        await admin.connect()
      }
    } catch (err) {
      await producer.disconnect().catch(() => {})
      await admin?.disconnect().catch(() => {})
      throw new NotConnected(`kafka: ${(err as Error).message}`)
    }
    return new ProducerConnection(producer, admin, {
      acks: this.#acks,
      timeout: this.#timeoutMs,
      compression: this.#compression,
    })
  }

  /**
   * Sends a batch; the messages a send failed are sent again with the backoff (the whole batch
   * with `retry_as_batch`). Giving up, it throws the error when nothing was delivered, else a
   * BatchError naming only the messages still failing.
   */
  async write(connection: ProducerConnection, batch: Message[], signal: AbortSignal): Promise<void> {
    const records = this.#build(batch)
    if (this.#config.custom_topic_creation?.enabled === true) {
      for (const topic of new Set(records.map((r) => r.topic))) await this.#ensureTopic(connection, topic)
    }
    let pending = records.map((_, i) => i)
    let backoff: (() => number | undefined) | undefined
    for (;;) {
      const failed = await connection.enqueue(pending.map((i) => records[i]!))
      if (failed.size === 0) return
      const failures = new Map([...failed].map(([at, err]) => [pending[at]!, err]))
      const first = failures.values().next().value!
      const giveUp = (): never => {
        if (failures.size === batch.length) throw first
        throw new BatchError(batch, failures)
      }
      if (connection.closed || signal.aborted) giveUp()
      backoff ??= this.#backoff()
      const wait = backoff()
      this.#logger.error(`Failed to send messages: ${first.message}`)
      if (wait === undefined || !(await pause(wait, signal))) giveUp()
      if (connection.closed) giveUp()
      pending = this.#config.retry_as_batch ? records.map((_, i) => i) : [...failures.keys()]
    }
  }

  /** The records of a batch; throws on a failed interpolation or an oversized message. */
  #build(batch: Message[]): OutRecord[] {
    const view = new BatchView(batch)
    const staticTopic = this.#topic.isStatic ? this.#topic.text(view, 0) : undefined
    const keyless = this.#key.isStatic && this.#key.source === ''
    return batch.map((message, i) => {
      const topic = staticTopic ?? this.#topic.text(view, i)
      const keyBytes = keyless ? undefined : this.#key.bytes(view, i)
      const value = message.bytes()
      const size = value.length + (keyBytes?.length ?? 0)
      if (size > this.#config.max_msg_bytes)
        throw new Error(
          `message of ${size} bytes is larger than max_msg_bytes (${this.#config.max_msg_bytes})`,
        )
      const headers: IHeaders = {}
      for (const name of message.metadata.keys()) {
        if (this.#filter(name)) headers[name] = message.metaString(name) ?? ''
      }
      for (const [name, text] of this.#staticHeaders) headers[name] = text
      const out: KafkaMessage = {
        key:
          keyBytes === undefined || keyBytes.length === 0
            ? null
            : Buffer.from(keyBytes.buffer, keyBytes.byteOffset, keyBytes.byteLength),
        value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
        headers,
      }
      if (this.#partition !== undefined) out.partition = this.#partitionOf(this.#partition, view, i)
      return { topic, message: out }
    })
  }

  #partitionOf(partition: FieldInterpolation, view: BatchView, i: number): number {
    const text = partition.text(view, i)
    if (text === '') throw new Error('partition expression failed to produce a value')
    if (!/^-?\d+$/.test(text.trim()))
      throw new Error(`failed to parse valid integer from partition expression: ${text}`)
    const value = Number(text.trim())
    if (value < 0) throw new Error(`invalid partition parsed from expression, must be >= 0, got ${value}`)
    if (value > 2 ** 31 - 1) throw new Error(`partition out of range: ${value}`)
    return value
  }

  async #ensureTopic(connection: ProducerConnection, topic: string): Promise<void> {
    const admin = connection.admin
    if (this.#knownTopics.has(topic) || admin === undefined) return
    const custom = this.#config.custom_topic_creation!
    try {
      const existing = await admin.listTopics()
      if (!existing.includes(topic)) {
        await admin.createTopics({
          topics: [{ topic, numPartitions: custom.partitions, replicationFactor: custom.replication_factor }],
          waitForLeaders: true,
        })
      }
      this.#knownTopics.add(topic)
    } catch (err) {
      throw new Error(`failed to create topic '${topic}': ${(err as Error).message}`, { cause: err })
    }
  }
}

const kafkaOutputFields = [
  addressesField,
  tlsField,
  saslField,
  field.interpolated('topic', { description: 'The topic to publish messages to.' }),
  clientIdField,
  targetVersionField,
  rackIdField,
  field.interpolated('key', { default: '', description: 'The key to publish messages with.' }),
  field.string('partitioner', {
    default: 'fnv1a_hash',
    options: partitionerNames,
    description: 'The partitioning algorithm to use.',
  }),
  field.interpolated('partition', {
    default: '',
    advanced: true,
    description:
      'The partition to publish to, for the `manual` partitioner only. Must parse as a 32-bit integer.',
  }),
  field.object(
    'custom_topic_creation',
    [
      field.bool('enabled', { default: false, description: 'Whether to create missing topics.' }),
      field.int('partitions', {
        default: -1,
        description: 'Partitions of a created topic; -1 uses the broker default.',
      }),
      field.int('replication_factor', {
        default: -1,
        description: 'Replication factor of a created topic; -1 uses the broker default.',
      }),
    ],
    { optional: true, advanced: true, description: 'Create topics that do not exist yet.' },
  ),
  field.string('compression', {
    default: 'none',
    options: ['none', 'snappy', 'lz4', 'gzip', 'zstd'],
    description: 'The compression algorithm to use.',
  }),
  field.map('static_headers', 'string', {
    optional: true,
    description: 'Headers added to every message, besides its metadata.',
    examples: [{ 'first-static-header': 'value-1', 'second-static-header': 'value-2' }],
  }),
  metadataExcludeField('Specify criteria for which metadata values are sent with messages as headers.'),
  field.bloblang('inject_tracing_map', {
    optional: true,
    advanced: true,
    description: 'Accepted; no tracer here.',
  }),
  maxInFlightField(),
  field.bool('idempotent_write', {
    default: false,
    advanced: true,
    description: 'Enable the idempotent producer (needs the IDEMPOTENT_WRITE permission on CLUSTER).',
  }),
  field.bool('ack_replicas', {
    default: false,
    advanced: true,
    description: 'Wait for every in-sync replica to have a message before it counts as sent.',
  }),
  field.int('max_msg_bytes', {
    default: 1_000_000,
    advanced: true,
    description: 'The maximum size in bytes of a message (key and value).',
  }),
  field.duration('timeout', {
    default: '5s',
    advanced: true,
    description: 'How long the broker may take to acknowledge a send.',
  }),
  field.bool('retry_as_batch', {
    default: false,
    advanced: true,
    description:
      'When enabled forces an entire batch of messages to be retried if any individual message fails on a send, otherwise only the individual messages that failed are retried.',
  }),
  batchingField,
  ...retryBackoffFields(0, '3s', '10s', '30s'),
] as const

export const kafkaOutput = defineOutput({
  name: 'kafka',
  status: 'stable',
  categories: ['Services'],
  summary:
    'Writes a batch of messages to Kafka brokers and waits for acknowledgement before propagating it back to the input.',
  description:
    'Both `topic` and `key` may be interpolated per message. Metadata is sent as headers, except the keys `metadata.exclude_prefixes` names. Compression: none, gzip, snappy, lz4 and zstd.',
  fields: kafkaOutputFields,
  create(config, context) {
    checkClientConfig(config)
    const writer = new KafkaWriter(config, context.logger)
    return outputSkeleton(
      { ...config, max_in_flight: Math.max(1, config.max_in_flight) },
      {
        connect: () => writer.connect(),
        write: (connection, batch, signal) => writer.write(connection, batch, signal),
        disconnect: (connection) => connection.close(),
      },
    )
  },
})
