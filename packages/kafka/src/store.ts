// A key/value store kept in a compacted Kafka topic: each write is a record keyed by id, a delete
// is a tombstone, and compaction keeps the latest record of every id. Reads are served from
// memory, which opening the store rebuilds by reading the topic to its end (its high-water marks
// as they were at open) before it reports ready; afterwards it keeps following the topic, so
// writes of other instances show up too.
import type { ConnectionOptions } from 'node:tls'
import type { Logger } from '@bento-ts/core'
import type {
  Admin,
  Consumer,
  KafkaMessage,
  Producer,
  Message as ProducerMessage,
  SASLOptions,
} from 'kafkajs'
import { type KafkaClient, logCreatorFor } from './client.ts'
import { registerCodecs } from './codecs.ts'
import kafkajs from './kafkajs.ts'
import { murmur2Partition } from './partitioners.ts'

const { Kafka, logLevel } = kafkajs

export interface StateCodec<T> {
  encode(value: T): Uint8Array | string
  decode(bytes: Buffer): T
}

/** Values as JSON text (the default). */
export const jsonCodec: StateCodec<unknown> = {
  encode: (value) => JSON.stringify(value),
  decode: (bytes) => JSON.parse(bytes.toString('utf8')),
}

/** Values as raw bytes (what the `kafka` cache stores). */
export const bytesCodec: StateCodec<Uint8Array> = {
  encode: (value) => value,
  decode: (bytes) => bytes,
}

export interface StateStoreOptions<T> {
  /** broker addresses: a list, or one string of comma separated addresses */
  brokers: string | string[]
  /** the compacted topic; created with cleanup.policy=compact when missing */
  topic: string
  clientId?: string
  /** partitions of the topic when it is created (default 1) */
  partitions?: number
  /** replication factor of the topic when it is created (default: the broker's) */
  replicationFactor?: number
  ssl?: ConnectionOptions | boolean
  sasl?: SASLOptions
  codec?: StateCodec<T>
  logger?: Logger
  /** keep reading the topic after opening, so writes of other instances show up (default true) */
  follow?: boolean
  /** how long the broker may take to acknowledge a write, in ms (default 10 000) */
  timeoutMs?: number
  /** give up opening when rebuilding takes longer than this, in ms (default 120 000) */
  openTimeoutMs?: number
  /** a kafkajs client to use instead of one made from brokers/ssl/sasl */
  kafka?: KafkaClient
}

export interface SaveOptions {
  /** the entry reads as absent once this many milliseconds passed */
  ttlMs?: number
}

export interface ListOptions<T> {
  /** only ids starting with this */
  prefix?: string
  filter?: (value: T, id: string) => boolean
  /** at most this many entries (in id order) */
  limit?: number
}

export interface StateEntry<T> {
  id: string
  value: T
}

export interface StateStore<T> {
  save(id: string, value: T, options?: SaveOptions): Promise<void>
  /** undefined when absent (never written, deleted or expired) */
  load(id: string): Promise<T | undefined>
  list(options?: ListOptions<T>): Promise<StateEntry<T>[]>
  delete(id: string): Promise<void>
  close(): Promise<void>
  /** entries held in memory */
  readonly size: number
}

interface Entry {
  bytes: Buffer
  /** epoch ms after which the entry reads as absent; 0: never */
  expiresAt: number
}

interface PendingRecord {
  id: string
  value: Buffer | null
  expiresAt: number
  partition: number
  resolve: (offset: number) => void
  reject: (err: Error) => void
}

const expiresHeader = 'bento-ts-expires-at'
const maxRecordsPerSend = 500

const wrap = (operation: string, err: unknown): Error =>
  new Error(`kafka/${operation}: ${(err as Error).message ?? String(err)}`, { cause: err })

/**
 * The store behind both the typed API and the `kafka` cache: entries as bytes, a codec on top.
 * Exposed for the cache; use `openStateStore`.
 */
export class KafkaStateStore<T> implements StateStore<T> {
  readonly topic: string
  readonly #codec: StateCodec<T>
  readonly #logger: Logger | undefined
  readonly #timeoutMs: number
  #client: KafkaClient
  #admin: Admin | undefined
  #producer: Producer | undefined
  #consumer: Consumer | undefined
  #groupId = ''
  #partitions = 1
  readonly #entries = new Map<string, Entry>()
  /** per id, the offset of the newest record applied: an older one read later does not win */
  readonly #applied = new Map<string, number>()
  /** ids an `add` is writing right now */
  readonly #adding = new Set<string>()
  #pending: PendingRecord[] = []
  #scheduled = false
  #inFlight = new Set<Promise<void>>()
  #closed = false

  constructor(client: KafkaClient, topic: string, codec: StateCodec<T>, logger?: Logger, timeoutMs = 10_000) {
    this.#client = client
    this.topic = topic
    this.#codec = codec
    this.#logger = logger
    this.#timeoutMs = timeoutMs
  }

  get size(): number {
    return this.#entries.size
  }

  /** Creates the topic if needed, then reads it to its end. */
  async open(o: { partitions: number; replicationFactor: number; follow: boolean; openTimeoutMs: number }) {
    const admin = this.#client.admin()
    this.#admin = admin
    await admin.connect()
    const topics = await admin.listTopics()
    if (!topics.includes(this.topic)) {
      try {
        await admin.createTopics({
          topics: [
            {
              topic: this.topic,
              numPartitions: o.partitions,
              replicationFactor: o.replicationFactor,
              configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
            },
          ],
          waitForLeaders: true,
        })
      } catch (err) {
        // Another instance may have created it meanwhile.
        if (!(await admin.listTopics()).includes(this.topic)) throw err
      }
    }
    const offsets = await admin.fetchTopicOffsets(this.topic)
    this.#partitions = offsets.length
    // Where each partition ended when we opened: memory is ready once it is read that far.
    const targets = new Map<number, number>()
    for (const o of offsets) if (Number(o.high) > Number(o.low)) targets.set(o.partition, Number(o.high))

    const producer = this.#client.producer({
      createPartitioner:
        () =>
        ({ message }) =>
          message.partition ?? 0,
      allowAutoTopicCreation: false,
    })
    this.#producer = producer
    await producer.connect()

    if (targets.size === 0 && !o.follow) return
    this.#groupId = `bento-ts-state-${this.topic}-${process.pid}-${Math.random().toString(36).slice(2)}`
    const consumer = this.#client.consumer({
      groupId: this.#groupId,
      maxWaitTimeInMs: 200,
      sessionTimeout: 10_000,
      heartbeatInterval: 3000,
      retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 8, restartOnFailure: async () => true },
    })
    this.#consumer = consumer
    let ready: () => void = () => {}
    const rebuilt = new Promise<void>((resolve) => {
      ready = resolve
    })
    const reached = (partition: number, lastOffset: number) => {
      const target = targets.get(partition)
      if (target !== undefined && lastOffset + 1 >= target) {
        targets.delete(partition)
        if (targets.size === 0) ready()
      }
    }
    if (targets.size === 0) ready()
    // A batch of only control records or compacted-away offsets still moves a partition forward.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { partition, lastOffset } = event.payload
      reached(partition, Number(lastOffset))
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) this.#applyRecord(m, batch.partition)
      },
    })
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${o.openTimeoutMs} ms reading ${this.topic} to its end`)),
        o.openTimeoutMs,
      )
    })
    try {
      await Promise.race([rebuilt, timeout])
    } finally {
      clearTimeout(timer)
    }
    if (!o.follow) {
      await consumer.disconnect()
      this.#consumer = undefined
      await admin.deleteGroups([this.#groupId]).catch(() => {})
    }
  }

  #applyRecord(m: KafkaMessage, partition: number): void {
    if (m.key === null || m.key === undefined) return
    const id = m.key.toString()
    const offset = Number(m.offset)
    const expires = m.headers?.[expiresHeader]
    const expiresAt = expires === undefined ? 0 : Number(expires.toString())
    this.#apply(id, m.value, expiresAt, partition, offset)
  }

  /** Applies a record unless a newer one of the same id was applied already. */
  #apply(id: string, value: Buffer | null, expiresAt: number, partition: number, offset: number): void {
    // Offsets of one id are comparable: the partition follows from the id.
    const position = partition * 2 ** 40 + offset
    const applied = this.#applied.get(id)
    if (applied !== undefined && applied >= position) return
    this.#applied.set(id, position)
    if (value === null) this.#entries.delete(id)
    else this.#entries.set(id, { bytes: value, expiresAt })
  }

  #entry(id: string): Entry | undefined {
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    if (entry.expiresAt !== 0 && entry.expiresAt <= Date.now()) return undefined
    return entry
  }

  /** Appends a record (a tombstone when value is null); resolves with its offset once acknowledged. */
  #append(id: string, value: Buffer | null, expiresAt: number): Promise<number> {
    if (this.#closed || this.#producer === undefined) return Promise.reject(new Error('the store is closed'))
    return new Promise((resolve, reject) => {
      const partition = murmur2Partition(Buffer.from(id), this.#partitions)
      this.#pending.push({ id, value, expiresAt, partition, resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.#flush())
      }
    })
  }

  /** Sends what was appended meanwhile in as few requests as possible. */
  #flush(): void {
    this.#scheduled = false
    while (this.#pending.length > 0) {
      const records = this.#pending.splice(0, maxRecordsPerSend)
      const sending = this.#send(records)
      this.#inFlight.add(sending)
      sending.finally(() => this.#inFlight.delete(sending))
    }
  }

  async #send(records: PendingRecord[]): Promise<void> {
    const messages: ProducerMessage[] = records.map((r) => ({
      key: r.id,
      value: r.value,
      partition: r.partition,
      ...(r.expiresAt === 0 ? {} : { headers: { [expiresHeader]: String(r.expiresAt) } }),
    }))
    try {
      const result = await this.#producer!.send({
        topic: this.topic,
        messages,
        acks: -1,
        timeout: this.#timeoutMs,
      })
      // Records of one partition are appended in the order sent, from its base offset.
      const next = new Map<number, number>()
      for (const r of result) next.set(r.partition, Number(r.baseOffset ?? r.offset ?? 0))
      for (const r of records) {
        const offset = next.get(r.partition) ?? 0
        next.set(r.partition, offset + 1)
        r.resolve(offset)
      }
    } catch (err) {
      for (const r of records) r.reject(err as Error)
    }
  }

  async #write(id: string, value: Buffer | null, expiresAt: number): Promise<void> {
    const offset = await this.#append(id, value, expiresAt)
    this.#apply(id, value, expiresAt, murmur2Partition(Buffer.from(id), this.#partitions), offset)
  }

  async save(id: string, value: T, options: SaveOptions = {}): Promise<void> {
    try {
      await this.#write(id, toBuffer(this.#codec.encode(value)), expiry(options.ttlMs))
    } catch (err) {
      throw wrap('save', err)
    }
  }

  /** Writes only when the id is absent; false when it was present (or being added). */
  async add(id: string, value: T, options: SaveOptions = {}): Promise<boolean> {
    if (this.#entry(id) !== undefined || this.#adding.has(id)) return false
    this.#adding.add(id)
    try {
      await this.#write(id, toBuffer(this.#codec.encode(value)), expiry(options.ttlMs))
      return true
    } catch (err) {
      throw wrap('add', err)
    } finally {
      this.#adding.delete(id)
    }
  }

  async load(id: string): Promise<T | undefined> {
    try {
      const entry = this.#entry(id)
      return entry === undefined ? undefined : this.#codec.decode(entry.bytes)
    } catch (err) {
      throw wrap('load', err)
    }
  }

  async list(options: ListOptions<T> = {}): Promise<StateEntry<T>[]> {
    try {
      const limit = options.limit ?? Number.POSITIVE_INFINITY
      const ids = [...this.#entries.keys()]
        .filter((id) => options.prefix === undefined || id.startsWith(options.prefix))
        .sort()
      const out: StateEntry<T>[] = []
      for (const id of ids) {
        if (out.length >= limit) break
        const entry = this.#entry(id)
        if (entry === undefined) continue
        const value = this.#codec.decode(entry.bytes)
        if (options.filter === undefined || options.filter(value, id)) out.push({ id, value })
      }
      return out
    } catch (err) {
      throw wrap('list', err)
    }
  }

  async delete(id: string): Promise<void> {
    try {
      await this.#write(id, null, 0)
    } catch (err) {
      throw wrap('delete', err)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    // Writes already asked for still go out.
    if (this.#pending.length > 0) this.#flush()
    await Promise.allSettled([...this.#inFlight])
    this.#closed = true
    const consumer = this.#consumer
    this.#consumer = undefined
    await consumer?.disconnect().catch(() => {})
    if (consumer !== undefined) await this.#admin?.deleteGroups([this.#groupId]).catch(() => {})
    await this.#producer?.disconnect().catch(() => {})
    await this.#admin?.disconnect().catch(() => {})
    this.#logger?.debug(`kafka: state store on ${this.topic} closed`)
  }
}

const toBuffer = (v: Uint8Array | string): Buffer =>
  typeof v === 'string' ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength)

const expiry = (ttlMs: number | undefined): number =>
  ttlMs === undefined || ttlMs <= 0 ? 0 : Date.now() + ttlMs

/**
 * Opens a store on a compacted topic and resolves once its memory holds every entry the topic
 * held when it opened. Errors name the operation: `kafka/open: ...`, `kafka/save: ...`.
 */
export async function openStateStore<T = unknown>(
  options: StateStoreOptions<T>,
): Promise<KafkaStateStore<T>> {
  registerCodecs()
  const client =
    options.kafka ??
    new Kafka({
      brokers: (Array.isArray(options.brokers) ? options.brokers : [options.brokers])
        .flatMap((b) => b.split(','))
        .map((b) => b.trim())
        .filter((b) => b !== ''),
      clientId: options.clientId ?? 'bento-ts-state',
      connectionTimeout: 3000,
      logLevel: options.logger === undefined ? logLevel.NOTHING : logLevel.WARN,
      ...(options.logger === undefined ? {} : { logCreator: logCreatorFor(options.logger) }),
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
      ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
      retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 5 },
    })
  const store = new KafkaStateStore<T>(
    client,
    options.topic,
    options.codec ?? (jsonCodec as StateCodec<T>),
    options.logger,
    options.timeoutMs,
  )
  try {
    await store.open({
      partitions: options.partitions ?? 1,
      replicationFactor: options.replicationFactor ?? -1,
      follow: options.follow ?? true,
      openTimeoutMs: options.openTimeoutMs ?? 120_000,
    })
  } catch (err) {
    await store.close().catch(() => {})
    throw wrap('open', err)
  }
  return store
}
