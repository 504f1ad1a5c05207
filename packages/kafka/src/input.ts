// The `kafka` input: a consumer group (or explicit partitions) read through kafkajs, handing out
// one message per read, in offset order per partition, with at most `checkpoint_limit` of each
// partition under way. Offsets are committed every `commit_period` (and on close) only up to the
// oldest message not yet acknowledged, so nothing unacknowledged is ever skipped: not by a
// restart, not by a crash, not by another member taking a partition over after a rebalance.
import {
  type AckFn,
  type ComponentContext,
  type ConfigOf,
  FieldError,
  field,
  type Logger,
  Message,
  NotConnected,
  parseDuration,
} from '@bento-ts/core'
import {
  autoReplayNacksField,
  batchingField,
  defineInput,
  type InputRead,
  type InputRuntimeConfig,
  inputSkeleton,
  onAbort,
  pause,
} from '@bento-ts/core/kit'
import type { Consumer, Batch as KafkaBatch, KafkaMessage, PartitionAssigner } from 'kafkajs'
import { PartitionCheckpointer } from './checkpoint.ts'
import {
  addressesField,
  checkClientConfig,
  clientIdField,
  type KafkaClient,
  kafkaClient,
  rackIdField,
  saslField,
  targetVersionField,
  tlsField,
} from './client.ts'
import kafkajs from './kafkajs.ts'
import { parseTopics } from './topics.ts'

const { AssignerProtocol } = kafkajs

export type KafkaInputConfig = ConfigOf<typeof kafkaInputFields>

const emptyPayload = new Uint8Array(0)
const settled: Promise<void> = Promise.resolve()

/** Fetched messages of one partition not handed out yet: kafkajs' arrays, read in place. */
interface Fetched {
  messages: KafkaMessage[]
  next: number
  highWatermark: number
}

/** One assigned partition: what was fetched, what is under way, what was committed. */
class PartitionState {
  readonly topic: string
  readonly partition: number
  readonly checkpoint = new PartitionCheckpointer()
  fetched: Fetched[] = []
  queued = 0
  /** one past the last offset fetched: where fetching resumes after a rebalance */
  nextOffset = -1
  /** the last offset committed by us */
  committed = -1
  paused = false
  revoked = false

  constructor(topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
  }
}

const stateKey = (topic: string, partition: number) => `${partition}:${topic}`

/**
 * Where each partition resumes, by stateKey, when the input has no consumer group of the user's:
 * the offset a commit would have stored (just past the messages acknowledged in order), or, before
 * any, where the first connection started. It lives as long as the component, so that a
 * reconnect (a new KafkaReader) neither reads again what was delivered nor, with
 * `start_from_oldest: false`, skips what was written while it was away.
 */
export type ResumePoints = Map<string, number>

/**
 * Keeps a partition's commit point for the next connection. It only grows: an ack of one
 * connection's may come after the next one started further on (everything below either point
 * was acknowledged, so the larger is as safe), and acks do arrive after a close.
 */
function remember(resume: ResumePoints, state: PartitionState): void {
  const key = stateKey(state.topic, state.partition)
  const at = state.checkpoint.committable
  if (at > (resume.get(key) ?? -1)) resume.set(key, at)
}

/**
 * Explicit partitions through a consumer group: every member is assigned exactly the partitions
 * it asked for (carried in its join metadata), which is manual assignment in kafkajs' terms.
 */
export function explicitAssigner(wanted: Map<string, number[]>): PartitionAssigner {
  const name = 'BentoExplicitPartitions'
  const userData = Buffer.from(JSON.stringify(Object.fromEntries(wanted)))
  return () => ({
    name,
    version: 0,
    protocol: ({ topics }) => ({
      name,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData }),
    }),
    assign: async ({ members }) =>
      members.map(({ memberId, memberMetadata }) => {
        const metadata = AssignerProtocol.MemberMetadata.decode(memberMetadata)
        const asked = JSON.parse(metadata?.userData.toString() || '{}') as Record<string, number[]>
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 0,
            assignment: asked,
            userData: Buffer.alloc(0),
          }),
        }
      }),
  })
}

interface Replay {
  state: PartitionState
  raw: KafkaMessage
  offset: number
  highWatermark: number
  ticket: number
  attempts: number
}

/** Bento's replay pacing: two immediate replays, then from 1 ms growing 1.1× per attempt, at most 1 s. */
export function replayDelay(attempts: number): number {
  if (attempts <= 2) return 0
  return Math.min(1000, 1.1 ** (attempts - 3))
}

interface Waiter {
  resolve: () => void
  reject: (err: unknown) => void
}

/** What the input's config says once checked: every connection reads by it. */
export interface ReaderSettings {
  config: KafkaInputConfig
  balanced: string[]
  explicit: Map<string, number[]>
  groupId: string
  /** commits only under a group the user named */
  commits: boolean
  limit: number
  bufferCap: number
  commitPeriodMs: number
}

/** Checks the input's config; a value it cannot read from is a FieldError naming the field. */
export function readerSettings(config: KafkaInputConfig): ReaderSettings {
  if (config.topics.length === 0) throw new FieldError('topics', 'must specify at least one topic')
  let topics: ReturnType<typeof parseTopics>
  try {
    topics = parseTopics(config.topics)
  } catch (err) {
    throw new FieldError('topics', (err as Error).message.replace(/^topics: /, ''), { cause: err })
  }
  if (topics.balanced.length > 0 && topics.explicit.size > 0)
    throw new FieldError(
      'topics',
      'it is not currently possible to include balanced and explicit partition topics in the same kafka input',
    )
  if (topics.balanced.length === 0 && topics.explicit.size === 0)
    throw new FieldError('topics', 'must specify at least one topic')
  if (topics.balanced.length > 0 && config.consumer_group === '')
    throw new FieldError(
      'consumer_group',
      'a consumer group must be specified when consuming balanced topics',
    )
  if (config.checkpoint_limit < 1) throw new FieldError('checkpoint_limit', 'must be at least 1')
  // A batch bigger than the limit must still be able to form (Bento allows it).
  const limit = Math.max(config.checkpoint_limit, config.batching.count, 1)
  return {
    config,
    balanced: topics.balanced,
    explicit: topics.explicit,
    commits: config.consumer_group !== '',
    // Without a group of the user's, explicit partitions still need one to read through kafkajs:
    // a private one, never committed to. The first connection follows start_from_oldest; a
    // reconnect seeks to the component's ResumePoints (in memory: nothing is left on the broker
    // under a group name nobody will use again, and a commit that fails in an outage, when
    // reconnects happen, cannot send it back to the start).
    groupId:
      config.consumer_group !== ''
        ? config.consumer_group
        : `bento-ts-${process.pid}-${Math.random().toString(36).slice(2)}`,
    limit,
    // Fetching pauses past this many queued messages of a partition: room for a whole fetch
    // (about 1 MB) beyond what may be under way, so a busy partition rarely waits for one.
    bufferCap: Math.max(config.fetch_buffer_cap, 2 * limit),
    commitPeriodMs: parseDuration(config.commit_period),
  }
}

/** One connection of the input: a consumer, the partitions assigned to it, and their commit points. */
export class KafkaReader {
  readonly #config: KafkaInputConfig
  readonly #logger: Logger
  readonly #context: ComponentContext
  readonly #s: ReaderSettings
  /** set when there is no group of the user's: then the input keeps its own positions */
  readonly #resume: ResumePoints | undefined

  #consumer: Consumer | undefined
  #failed: Error | undefined
  #states = new Map<string, PartitionState>()
  #order: PartitionState[] = []
  #cursor = 0
  #waiters: Waiter[] = []
  #replays: Replay[] = []
  #commitTimer: NodeJS.Timeout | undefined
  #committing: Promise<void> | undefined
  #closed = false

  constructor(settings: ReaderSettings, context: ComponentContext, resume?: ResumePoints) {
    this.#config = settings.config
    this.#logger = context.logger
    this.#context = context
    this.#s = settings
    this.#resume = settings.commits ? undefined : resume
  }

  async connect(): Promise<void> {
    const c = this.#config
    const client = kafkaClient(c, { logger: this.#logger, debug: c.debug, context: this.#context })
    const explicit = this.#s.explicit.size > 0
    if (explicit) await this.#checkPartitions(client)
    const sessionTimeout = parseDuration(c.group.session_timeout)
    const consumer = client.consumer({
      groupId: this.#s.groupId,
      sessionTimeout,
      heartbeatInterval: Math.min(parseDuration(c.group.heartbeat_interval), sessionTimeout / 3),
      rebalanceTimeout: parseDuration(c.group.rebalance_timeout),
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 1 << 20,
      readUncommitted: c.transaction_isolation_level !== 'read_committed',
      ...(c.rack_id === '' ? {} : { rackId: c.rack_id }),
      ...(explicit ? { partitionAssigners: [explicitAssigner(this.#s.explicit)] } : {}),
      retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 8, restartOnFailure: async () => true },
    })
    consumer.on(consumer.events.GROUP_JOIN, (event) => this.#assigned(event.payload.memberAssignment))
    consumer.on(consumer.events.REBALANCING, () => {
      this.#commit().catch(() => {})
    })
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) {
        this.#logger.warn(`kafka: consumer restarting after: ${event.payload.error.message}`)
        return
      }
      this.#failed = event.payload.error
      this.#wakeAll()
    })
    this.#consumer = consumer
    try {
      await consumer.connect()
      const topics = explicit ? [...this.#s.explicit.keys()] : this.#s.balanced
      await consumer.subscribe({ topics, fromBeginning: c.start_from_oldest })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, resolveOffset }) => this.#fetched(batch, resolveOffset),
      })
    } catch (err) {
      await this.#teardown()
      throw new NotConnected(`kafka: ${(err as Error).message}`)
    }
    if (this.#s.commits && this.#s.commitPeriodMs > 0) {
      this.#commitTimer = setInterval(() => {
        this.#commit().catch(() => {})
      }, this.#s.commitPeriodMs)
      this.#commitTimer.unref()
    }
  }

  async #checkPartitions(client: KafkaClient): Promise<void> {
    const admin = client.admin()
    try {
      await admin.connect()
      const { topics } = await admin.fetchTopicMetadata({ topics: [...this.#s.explicit.keys()] })
      for (const [topic, wanted] of this.#s.explicit) {
        const known = new Set(topics.find((t) => t.name === topic)?.partitions.map((p) => p.partitionId))
        const missing = wanted.filter((p) => !known.has(p))
        if (missing.length > 0)
          throw new Error(
            `failed to consume topic ${topic} partition ${missing.join(', ')}: no such partition`,
          )
      }
      // From the newest offset: pin it now, so that what is written while a later connection is
      // being made is read by it rather than skipped past.
      const resume = this.#resume
      if (resume === undefined || this.#config.start_from_oldest) return
      for (const [topic, wanted] of this.#s.explicit) {
        if (wanted.every((p) => resume.has(stateKey(topic, p)))) continue
        for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
          const key = stateKey(topic, partition)
          if (wanted.includes(partition) && !resume.has(key)) resume.set(key, Number(high))
        }
      }
    } finally {
      await admin.disconnect().catch(() => {})
    }
  }

  /** A new assignment: drop revoked partitions, keep the retained ones where they were. */
  #assigned(assignment: Record<string, number[]>): void {
    const consumer = this.#consumer
    if (consumer === undefined) return
    const now = new Set<string>()
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) now.add(stateKey(topic, partition))
    }
    const revoked: PartitionState[] = []
    for (const [key, state] of this.#states) {
      if (now.has(key)) continue
      state.revoked = true
      state.fetched = []
      state.queued = 0
      this.#states.delete(key)
      revoked.push(state)
    }
    // What was acknowledged before the partition went elsewhere is committed at once (never
    // past anything still under way), so its next owner redelivers as little as possible.
    if (revoked.length > 0) this.#commitStates(revoked).catch(() => {})
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const key = stateKey(topic, partition)
        const state = this.#states.get(key)
        if (state === undefined) {
          const fresh = new PartitionState(topic, partition)
          this.#states.set(key, fresh)
          // A partition this component read before (no group of the user's): on from there, and
          // anything fetched from before it (kafkajs' own start) is dropped as a re-fetch.
          const resume = this.#resume?.get(key)
          if (resume !== undefined) {
            fresh.nextOffset = resume
            this.#seek(fresh, resume)
          }
          this.#flow(fresh, false)
          continue
        }
        // Retained: kafkajs would restart it at the committed offset; what we hold is still ours.
        if (state.nextOffset >= 0) this.#seek(state, state.nextOffset)
        this.#flow(state, state.paused)
      }
    }
    this.#order = [...this.#states.values()]
    this.#cursor = 0
    this.#logger.debug(`kafka: assigned ${this.#order.length} partitions`, { assignment })
    this.#wakeAll()
  }

  #seek(state: PartitionState, offset: number): void {
    try {
      this.#consumer?.seek({ topic: state.topic, partition: state.partition, offset: String(offset) })
    } catch (err) {
      this.#logger.debug(`kafka: seek failed: ${(err as Error).message}`)
    }
  }

  /** kafkajs hands over a fetched batch: queue it and move the fetch position past it. */
  #fetched(batch: KafkaBatch, resolveOffset: (offset: string) => void): void {
    const state = this.#states.get(stateKey(batch.topic, batch.partition))
    if (state === undefined || state.revoked || batch.messages.length === 0) return
    let messages = batch.messages
    const last = messages[messages.length - 1]!
    const lastOffset = Number(last.offset)
    if (state.nextOffset >= 0 && Number(messages[0]!.offset) < state.nextOffset) {
      // Fetched again after a restart of the consumer: keep only what is new.
      const from = state.nextOffset
      messages = messages.filter((m) => Number(m.offset) >= from)
    }
    if (messages.length > 0) {
      state.fetched.push({ messages, next: 0, highWatermark: Number(batch.highWatermark) })
      state.queued += messages.length
      state.nextOffset = lastOffset + 1
    }
    resolveOffset(last.offset)
    if (state.queued >= this.#s.bufferCap && !state.paused) this.#flow(state, true)
    if (messages.length > 0) this.#wakeAll()
  }

  /** Pauses or resumes fetching of one partition (kafkajs refuses while it restarts: then the next join re-applies it). */
  #flow(state: PartitionState, paused: boolean): void {
    state.paused = paused
    const partitions = [{ topic: state.topic, partitions: [state.partition] }]
    try {
      if (paused) this.#consumer?.pause(partitions)
      else this.#consumer?.resume(partitions)
    } catch {
      // not running right now
    }
  }

  async read(signal: AbortSignal): Promise<InputRead> {
    for (;;) {
      if (this.#failed !== undefined) throw new NotConnected(`kafka: ${this.#failed.message}`)
      if (this.#consumer === undefined) throw new NotConnected('kafka: not connected')
      const replay = this.#replays.shift()
      if (replay !== undefined) {
        if (replay.state.revoked) continue
        if (replay.attempts > 2 && !(await pause(replayDelay(replay.attempts), signal))) {
          this.#replays.unshift(replay)
          throw new DOMException('read aborted', 'AbortError')
        }
        return this.#handOut(
          replay.state,
          replay.raw,
          replay.offset,
          replay.highWatermark,
          replay.ticket,
          replay.attempts,
        )
      }
      const taken = this.#take()
      if (taken !== undefined) return taken
      await this.#wait(signal)
    }
  }

  /** The next message of the next partition that has one and room under its limit. */
  #take(): InputRead | undefined {
    const order = this.#order
    const n = order.length
    for (let i = 0; i < n; i++) {
      const at = (this.#cursor + i) % n
      const state = order[at]!
      if (state.queued === 0 || state.checkpoint.inFlight >= this.#s.limit) continue
      this.#cursor = (at + 1) % n
      const fetched = state.fetched[0]!
      const raw = fetched.messages[fetched.next++]!
      if (fetched.next === fetched.messages.length) state.fetched.shift()
      state.queued--
      if (state.paused && state.queued <= this.#s.bufferCap >> 1) this.#flow(state, false)
      const offset = Number(raw.offset)
      const ticket = state.checkpoint.track(offset)
      return this.#handOut(state, raw, offset, fetched.highWatermark, ticket, 0)
    }
    return undefined
  }

  /**
   * A message and its ack. A nack (with auto_replay_nacks) keeps the offset unresolved and queues
   * the message to be read again, rebuilt from the fetched record so that nothing a processor
   * changed leaks into the next attempt; the commit point stays before it meanwhile. Without
   * auto_replay_nacks a nack counts as delivered (Bento drops it).
   */
  #handOut(
    state: PartitionState,
    raw: KafkaMessage,
    offset: number,
    highWatermark: number,
    ticket: number,
    attempts: number,
  ): InputRead {
    const message = this.#message(raw, state, offset, highWatermark)
    const ack: AckFn = (error) => {
      if (error === undefined || !this.#config.auto_replay_nacks) {
        if (state.checkpoint.resolve(ticket) && this.#resume !== undefined) remember(this.#resume, state)
      } else if (!state.revoked) {
        this.#replays.push({ state, raw, offset, highWatermark, ticket, attempts: attempts + 1 })
      }
      if (this.#waiters.length > 0) this.#wakeAll()
      return settled
    }
    return { batch: [message], ack }
  }

  #message(raw: KafkaMessage, state: PartitionState, offset: number, highWatermark: number): Message {
    const metadata = new Map<string, unknown>()
    const headers = raw.headers
    if (headers !== undefined) {
      for (const key in headers) {
        const value = headers[key]
        if (value === undefined) continue
        if (this.#config.multi_header) {
          metadata.set(
            key,
            (Array.isArray(value) ? value : [value]).map((v) => v.toString()),
          )
        } else {
          const last = Array.isArray(value) ? value[value.length - 1] : value
          metadata.set(key, last === undefined ? '' : last.toString())
        }
      }
    }
    const timestampMs = Number(raw.timestamp)
    metadata.set('kafka_key', raw.key === null || raw.key === undefined ? '' : raw.key.toString())
    metadata.set('kafka_partition', state.partition)
    metadata.set('kafka_topic', state.topic)
    metadata.set('kafka_offset', offset)
    metadata.set('kafka_lag', Math.max(highWatermark - offset - 1, 0))
    metadata.set('kafka_timestamp_unix', Math.floor(timestampMs / 1000))
    metadata.set('kafka_timestamp_unix_ms', timestampMs)
    metadata.set('kafka_tombstone_message', raw.value === null)
    return Message.adopt(raw.value ?? emptyPayload, metadata)
  }

  #wait(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new DOMException('read aborted', 'AbortError'))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          stop()
          resolve()
        },
        reject,
      }
      const stop = onAbort(signal, () => {
        const at = this.#waiters.indexOf(waiter)
        if (at >= 0) this.#waiters.splice(at, 1)
        reject(new DOMException('read aborted', 'AbortError'))
      })
      this.#waiters.push(waiter)
    })
  }

  #wakeAll(): void {
    const waiters = this.#waiters
    if (waiters.length === 0) return
    this.#waiters = []
    for (const w of waiters) w.resolve()
  }

  /** Commits every partition whose commit point moved (one at a time: a slow commit is not stacked). */
  #commit(): Promise<void> {
    if (!this.#s.commits) return settled
    if (this.#committing !== undefined) return this.#committing
    const run = this.#commitStates(this.#order).finally(() => {
      this.#committing = undefined
    })
    this.#committing = run
    return run
  }

  async #commitStates(states: readonly PartitionState[]): Promise<void> {
    const consumer = this.#consumer
    if (!this.#s.commits || consumer === undefined) return
    const offsets: { topic: string; partition: number; offset: string }[] = []
    const moved: [PartitionState, number][] = []
    for (const state of states) {
      const at = state.checkpoint.committable
      if (at > state.committed) {
        offsets.push({ topic: state.topic, partition: state.partition, offset: String(at) })
        moved.push([state, at])
      }
    }
    if (offsets.length === 0) return
    try {
      await consumer.commitOffsets(offsets)
      for (const [state, at] of moved) if (at > state.committed) state.committed = at
    } catch (err) {
      this.#logger.warn(`kafka: failed to commit offsets: ${(err as Error).message}`)
    }
  }

  async #teardown(): Promise<void> {
    clearInterval(this.#commitTimer)
    this.#commitTimer = undefined
    const consumer = this.#consumer
    this.#consumer = undefined
    // What was fetched and not handed out is simply read again after the committed offset.
    for (const state of this.#states.values()) state.revoked = true
    this.#states = new Map()
    this.#order = []
    this.#replays = []
    if (consumer !== undefined) await consumer.disconnect().catch(() => {})
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#commitTimer)
    this.#commitTimer = undefined
    // Offsets are always committed on the way out (what was acknowledged, nothing further),
    // unless the broker cannot take them within a few seconds: then they are read again.
    const final = (async () => {
      await this.#committing
      await this.#commitStates(this.#order)
    })()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([final, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))])
    clearTimeout(timer)
    this.#failed = new Error('input closed')
    this.#wakeAll()
    await this.#teardown()
  }
}

const kafkaInputFields = [
  addressesField,
  field.array('topics', 'string', {
    description:
      'Topics to consume from. Several may be listed in one item, comma separated. `foo:0` consumes only partition 0 of foo, `foo:0-10` partitions 0 to 10 inclusive; explicit partitions are not balanced across a group.',
    examples: [['foo', 'bar'], ['foo,bar'], ['foo:0', 'bar:1', 'bar:3'], ['foo:0-5']],
  }),
  targetVersionField,
  tlsField,
  saslField,
  field.string('consumer_group', {
    default: '',
    description:
      'The consumer group. Required for balanced topics; with explicit partitions it may be empty, which disables stored offsets.',
  }),
  clientIdField,
  rackIdField,
  field.bool('start_from_oldest', {
    default: true,
    advanced: true,
    description:
      'Consume from the oldest available offset when the group has none stored (otherwise from the newest).',
  }),
  field.int('checkpoint_limit', {
    default: 1024,
    description:
      'The maximum number of messages of one partition under way at once; 1 processes each partition in lock-step. An offset is never committed before every message below it was delivered.',
  }),
  autoReplayNacksField(),
  field.duration('commit_period', {
    default: '1s',
    advanced: true,
    description: 'How often offsets are committed. They are always committed on shutdown.',
  }),
  field.string('transaction_isolation_level', {
    default: 'read_uncommitted',
    options: ['read_committed', 'read_uncommitted'],
    advanced: true,
    description: 'Whether to read messages of open or aborted transactions.',
  }),
  field.duration('max_processing_period', {
    default: '100ms',
    advanced: true,
    description: 'Accepted for compatibility (a tuning hint of the Go client).',
  }),
  field.bloblang('extract_tracing_map', {
    optional: true,
    advanced: true,
    description: 'Accepted; no tracer here.',
  }),
  field.bool('new_root_span_with_link', {
    optional: true,
    advanced: true,
    description: 'Accepted; no tracer here.',
  }),
  field.object(
    'group',
    [
      field.duration('session_timeout', {
        default: '10s',
        description: 'A member that sends no heartbeat for this long leaves the group.',
      }),
      field.duration('heartbeat_interval', { default: '3s', description: 'How often heartbeats are sent.' }),
      field.duration('rebalance_timeout', {
        default: '60s',
        description: 'How long a rebalance may take before it is abandoned.',
      }),
    ],
    {
      default: { session_timeout: '10s', heartbeat_interval: '3s', rebalance_timeout: '60s' },
      advanced: true,
      description: 'Tuning of the consumer group.',
    },
  ),
  field.int('fetch_buffer_cap', {
    default: 256,
    advanced: true,
    description: 'Fetched messages held per partition before fetching pauses (at least checkpoint_limit).',
  }),
  field.bool('multi_header', {
    default: false,
    advanced: true,
    description: 'Decode headers into lists, keeping every value of a repeated key.',
  }),
  field.bool('debug', {
    default: false,
    advanced: true,
    description: "Log the Kafka client's own debug lines.",
  }),
  batchingField,
] as const

export const kafkaInput = defineInput({
  name: 'kafka',
  status: 'stable',
  categories: ['Services'],
  summary: 'Connects to Kafka brokers and consumes one or more topics.',
  description:
    'Offsets are stored in Kafka under the consumer group and partitions are balanced across its members. Messages of one partition are handed out in order, at most `checkpoint_limit` at a time, and an offset is committed only once every message below it was delivered.\n\nMetadata: `kafka_key`, `kafka_topic`, `kafka_partition`, `kafka_offset`, `kafka_lag`, `kafka_timestamp_unix`, `kafka_timestamp_unix_ms`, `kafka_tombstone_message` and every record header.',
  fields: kafkaInputFields,
  create(config, context) {
    checkClientConfig(config)
    const settings = readerSettings(config)
    const resume: ResumePoints = new Map()
    // A reconnect waits for the old connection to commit and leave the group first.
    let closing: Promise<void> = Promise.resolve()
    // Nacks are replayed by the reader itself, per partition (auto_replay_nacks is not handed to
    // the skeleton): a replay keeps the partition's commit point before the message, is rebuilt
    // from the fetched record instead of a copy of every message read, and is dropped when the
    // partition goes to another member, which reads it again.
    // (The cast: core's InputRuntimeConfig intersects BatchPolicy, whose `processors` are built
    // processors, with the parsed ones the skeleton builds; the parsed config is the latter.)
    const batching = config.batching as InputRuntimeConfig['batching']
    return inputSkeleton({ batching }, context, {
      async connect() {
        await closing
        const reader = new KafkaReader(settings, context, resume)
        await reader.connect()
        return reader
      },
      read: (reader, signal) => reader.read(signal),
      disconnect(reader) {
        closing = reader.close()
        return closing
      },
    })
  },
})
