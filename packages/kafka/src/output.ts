// The `kafka` output. Writes under way at the same moment are coalesced into shared produce
// requests (one per topic chunk), so many small writes cost a few round trips, not one each;
// each write still succeeds or fails on its own messages, and is retried with Bento's backoff.
import {
  batchingField,
  field,
  type Logger,
  type Message,
  type Output,
  type Plugin,
  parseDuration,
} from '@bento-ts/core'
import {
  BatchView,
  backoffFromConfig,
  type Interpolated,
  interpolated,
  type MetadataFilter,
  metadataExcludeField,
  metadataExcludeFilter,
  pause,
  type RetryBackoffConfig,
  retryBackoffFields,
} from '@bento-ts/core/kit'
import type { Admin, IHeaders, Message as KafkaMessage, Producer } from 'kafkajs'
import {
  addressesField,
  type ClientConfig,
  clientIdField,
  kafkaClient,
  rackIdField,
  saslField,
  targetVersionField,
  tlsField,
} from './client.ts'
import { compressionTypes } from './codecs.ts'
import { type PartitionerName, partitionerFor, partitionerNames } from './partitioners.ts'

export interface KafkaOutputConfig extends ClientConfig, RetryBackoffConfig {
  topic: string
  target_version?: string
  rack_id: string
  key: string
  partitioner: PartitionerName
  partition: string
  custom_topic_creation?: { enabled: boolean; partitions: number; replication_factor: number }
  compression: keyof typeof compressionTypes
  static_headers?: Record<string, string>
  metadata: { exclude_prefixes: string[] }
  inject_tracing_map?: string
  max_in_flight: number
  idempotent_write: boolean
  ack_replicas: boolean
  max_msg_bytes: number
  timeout: string
  retry_as_batch: boolean
}

/** Messages of one topic sent in one produce call, and the writes waiting on it. */
interface Chunk {
  topic: string
  messages: KafkaMessage[]
  bytes: number
  writes: PendingWrite[]
}

interface PendingWrite {
  remaining: number
  error: Error | undefined
  resolve: () => void
  reject: (err: Error) => void
}

// kafkajs groups a send's messages per partition in quadratic time, and a broker refuses a record
// batch over its message.max.bytes (1 MB by default): chunks stay well below both.
const chunkMessages = 500
const chunkBytes = 512 * 1024
const concurrentSends = 4

export class KafkaWriter implements Output {
  readonly maxInFlight: number
  readonly #config: KafkaOutputConfig
  readonly #logger: Logger
  readonly #topic: Interpolated
  readonly #key: Interpolated
  readonly #partition: Interpolated | undefined
  readonly #filter: MetadataFilter
  readonly #staticHeaders: [string, string][]
  readonly #acks: number
  readonly #timeoutMs: number
  readonly #compression: number
  readonly #backoff: () => () => number | undefined
  #producer: Producer | undefined
  #admin: Admin | undefined
  readonly #knownTopics = new Set<string>()
  #open = new Map<string, Chunk>()
  #ready: Chunk[] = []
  #sending = 0
  #scheduled = false
  #closed = false

  constructor(config: KafkaOutputConfig, logger: Logger) {
    this.#config = config
    this.#logger = logger
    this.maxInFlight = Math.max(1, config.max_in_flight)
    this.#topic = interpolated(config.topic, 'topic')
    this.#key = interpolated(config.key, 'key')
    if (config.partitioner === 'manual' && config.partition === '')
      throw new Error("partition: field required for 'manual' partitioner")
    if (config.partitioner !== 'manual' && config.partition !== '')
      throw new Error("partition: field can only be specified for 'manual' partitioner")
    if (!partitionerNames.includes(config.partitioner))
      throw new Error(`partitioner: not recognised: ${config.partitioner}`)
    this.#partition = config.partition === '' ? undefined : interpolated(config.partition, 'partition')
    const compression = compressionTypes[config.compression]
    if (compression === undefined) throw new Error(`compression: codec not recognised: ${config.compression}`)
    this.#compression = compression
    this.#filter = metadataExcludeFilter(config.metadata)
    this.#staticHeaders = Object.entries(config.static_headers ?? {})
    this.#acks = config.ack_replicas || config.idempotent_write ? -1 : 1
    this.#timeoutMs = parseDuration(config.timeout)
    this.#backoff = backoffFromConfig(config)
    const custom = config.custom_topic_creation
    if (custom?.enabled === true) {
      if (custom.partitions !== -1 && custom.partitions < 1)
        throw new Error(
          `custom_topic_creation.partitions: must be -1 or at least 1, got ${custom.partitions}`,
        )
      if (custom.replication_factor !== -1 && custom.replication_factor % 2 === 0)
        throw new Error(
          `custom_topic_creation.replication_factor: must be an odd number, got ${custom.replication_factor}`,
        )
    }
  }

  async connect(): Promise<void> {
    if (this.#producer !== undefined) return
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
    try {
      await producer.connect()
      if (c.custom_topic_creation?.enabled === true) {
        this.#admin = client.admin()
        await this.#admin.connect()
      }
    } catch (err) {
      await producer.disconnect().catch(() => {})
      await this.#admin?.disconnect().catch(() => {})
      this.#admin = undefined
      throw new Error(`kafka: ${(err as Error).message}`, { cause: err })
    }
    this.#producer = producer
  }

  write(batch: Message[], signal: AbortSignal): Promise<void> {
    let byTopic: Map<string, KafkaMessage[]>
    try {
      byTopic = this.#build(batch)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#deliver(byTopic, signal)
  }

  /** kafkajs messages of a batch, per topic; throws on a failed interpolation or an oversized message. */
  #build(batch: Message[]): Map<string, KafkaMessage[]> {
    const view = new BatchView(batch)
    const byTopic = new Map<string, KafkaMessage[]>()
    const staticTopic = this.#topic.isStatic ? this.#topic.text(view, 0) : undefined
    for (let i = 0; i < batch.length; i++) {
      const message = batch[i]!
      const topic = staticTopic ?? this.#text(this.#topic, view, i, 'topic')
      const keyBytes =
        this.#key.isStatic && this.#key.source === '' ? undefined : this.#bytes(this.#key, view, i)
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
      if (this.#partition !== undefined) out.partition = this.#partitionOf(view, i)
      let list = byTopic.get(topic)
      if (list === undefined) {
        list = []
        byTopic.set(topic, list)
      }
      list.push(out)
    }
    return byTopic
  }

  #text(field: Interpolated, view: BatchView, i: number, what: string): string {
    try {
      return field.text(view, i)
    } catch (err) {
      throw new Error(`${what} interpolation error: ${(err as Error).message}`)
    }
  }

  #bytes(field: Interpolated, view: BatchView, i: number): Uint8Array {
    try {
      return field.bytes(view, i)
    } catch (err) {
      throw new Error(`key interpolation error: ${(err as Error).message}`)
    }
  }

  #partitionOf(view: BatchView, i: number): number {
    const text = this.#text(this.#partition!, view, i, 'partition')
    if (text === '') throw new Error('partition expression failed to produce a value')
    if (!/^-?\d+$/.test(text.trim()))
      throw new Error(`failed to parse valid integer from partition expression: ${text}`)
    const partition = Number(text.trim())
    if (partition < 0)
      throw new Error(`invalid partition parsed from expression, must be >= 0, got ${partition}`)
    if (partition > 2 ** 31 - 1) throw new Error(`partition out of range: ${partition}`)
    return partition
  }

  async #deliver(byTopic: Map<string, KafkaMessage[]>, signal: AbortSignal): Promise<void> {
    if (this.#config.custom_topic_creation?.enabled === true) {
      for (const topic of byTopic.keys()) await this.#ensureTopic(topic)
    }
    let backoff: (() => number | undefined) | undefined
    for (;;) {
      try {
        await this.#enqueue(byTopic)
        return
      } catch (err) {
        if (this.#closed || signal.aborted) throw err
        backoff ??= this.#backoff()
        const wait = backoff()
        this.#logger.error(`Failed to send messages: ${(err as Error).message}`)
        if (wait === undefined) throw err
        if (!(await pause(wait, signal))) throw err
      }
    }
  }

  async #ensureTopic(topic: string): Promise<void> {
    if (this.#knownTopics.has(topic) || this.#admin === undefined) return
    const custom = this.#config.custom_topic_creation!
    try {
      const existing = await this.#admin.listTopics()
      if (!existing.includes(topic)) {
        await this.#admin.createTopics({
          topics: [{ topic, numPartitions: custom.partitions, replicationFactor: custom.replication_factor }],
          waitForLeaders: true,
        })
      }
      this.#knownTopics.add(topic)
    } catch (err) {
      throw new Error(`failed to create topic '${topic}': ${(err as Error).message}`, { cause: err })
    }
  }

  /** Adds a write's messages to the open chunks; settles once every chunk holding them was sent. */
  #enqueue(byTopic: Map<string, KafkaMessage[]>): Promise<void> {
    if (this.#producer === undefined || this.#closed) return Promise.reject(new Error('kafka: not connected'))
    return new Promise((resolve, reject) => {
      const write: PendingWrite = { remaining: 0, error: undefined, resolve, reject }
      for (const [topic, messages] of byTopic) {
        let chunk = this.#open.get(topic)
        let joined = false
        for (const m of messages) {
          const size = (m.value as Buffer).length
          if (
            chunk === undefined ||
            (chunk.messages.length > 0 &&
              (chunk.messages.length >= chunkMessages || chunk.bytes + size > chunkBytes))
          ) {
            if (chunk !== undefined) this.#ready.push(chunk)
            chunk = { topic, messages: [], bytes: 0, writes: [] }
            this.#open.set(topic, chunk)
            joined = false
          }
          chunk.messages.push(m)
          chunk.bytes += size
          if (!joined) {
            chunk.writes.push(write)
            write.remaining++
            joined = true
          }
        }
      }
      if (write.remaining === 0) resolve()
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
      this.#send(chunk)
    }
  }

  #send(chunk: Chunk): void {
    const producer = this.#producer
    this.#sending++
    const finish = (error: Error | undefined) => {
      this.#sending--
      for (const w of chunk.writes) {
        if (error !== undefined) w.error ??= error
        if (--w.remaining === 0) {
          if (w.error === undefined) w.resolve()
          else w.reject(w.error)
        }
      }
      if (this.#ready.length > 0 || this.#open.size > 0) this.#flush()
    }
    if (producer === undefined) {
      finish(new Error('kafka: not connected'))
      return
    }
    producer
      .send({
        topic: chunk.topic,
        messages: chunk.messages,
        acks: this.#acks,
        timeout: this.#timeoutMs,
        compression: this.#compression,
      })
      .then(
        () => finish(undefined),
        (err: Error) => finish(err),
      )
  }

  async close(): Promise<void> {
    this.#closed = true
    const producer = this.#producer
    this.#producer = undefined
    await producer?.disconnect().catch(() => {})
    await this.#admin?.disconnect().catch(() => {})
    this.#admin = undefined
  }
}

export const kafkaOutputSpecFields = [
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
  field.int('max_in_flight', {
    default: 64,
    description: 'The maximum number of message batches to have in flight at a given time.',
  }),
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
    description: 'Accepted: a failed write is always retried as a whole here.',
  }),
  batchingField,
  ...retryBackoffFields(0, '3s', '10s', '30s'),
]

export const kafkaOutput: Plugin<'output'> = {
  spec: {
    name: 'kafka',
    kind: 'output',
    status: 'stable',
    categories: ['Services'],
    summary:
      'Writes a batch of messages to Kafka brokers and waits for acknowledgement before propagating it back to the input.',
    description:
      'Both `topic` and `key` may be interpolated per message. Metadata is sent as headers, except the keys `metadata.exclude_prefixes` names. Compression: none, gzip, snappy, lz4 and zstd.',
    fields: kafkaOutputSpecFields,
  },
  create: (config: KafkaOutputConfig, context) => new KafkaWriter(config, context.logger),
}
