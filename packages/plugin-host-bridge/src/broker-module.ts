// `bento.broker`: a message broker over a Bento transport, with streams per topic made on demand.
// For a topic T:
//   - produce: DeliverMessage{handle, topic: T} writes the message through the transport's output
//     (acknowledged once written);
//   - consume: the transport's input is read and every message is published to host topic T
//     (PublishMessage; the source is acknowledged once the host accepted it).
// `transport` names a Bento component used as input and output (`{transport: transport_config}`,
// with `{topic}` in its strings replaced by the topic). The default, `memory`, is an in-process
// transport (Bento's `inproc`): what is delivered for T is published back to the host on T.
import { type Batch, findPlugin, type Logger, Message } from '@bento-ts/core'
import type { JsonObject, JsonValue } from '@bufbuild/protobuf'
import { addConfigSecrets } from './bridge/secrets.ts'
import type { HostContext, ModuleHandle } from './context.ts'
import { HostSource, hostInputType, hostOutputType, registerSink, registerSource } from './host-components.ts'
import {
  checkStream,
  errorText,
  isMap,
  ModuleStream,
  metadataOf,
  throttledWarn,
  withoutInternalKeys,
} from './messaging.ts'

interface TopicStreams {
  consumer: ModuleStream | undefined
  producer: ModuleStream | undefined
  source: HostSource | undefined
  unregister: (() => void)[]
}

/** Replaces `{topic}` in every string of a transport config. */
function forTopic(value: JsonValue, topic: string): JsonValue {
  if (typeof value === 'string') return value.replaceAll('{topic}', topic)
  if (Array.isArray(value)) return value.map((v) => forTopic(v, topic))
  if (isMap(value)) {
    const out: JsonObject = {}
    for (const [k, v] of Object.entries(value)) out[k] = forTopic(v, topic)
    return out
  }
  return value
}

export class BrokerModule implements ModuleHandle {
  readonly #handleId: string
  readonly #name: string
  readonly #config: JsonObject
  readonly #ctx: HostContext
  readonly #logger: Logger
  readonly #topics = new Map<string, Promise<TopicStreams>>()
  #transport = 'memory'
  #transportConfig: JsonObject = {}
  #initialTopics: string[] = []
  #started = false

  constructor(handleId: string, name: string, config: JsonObject | undefined, ctx: HostContext) {
    this.#handleId = handleId
    this.#name = name
    this.#config = withoutInternalKeys(config)
    this.#ctx = ctx
    this.#logger = ctx.logger.child({ module: name, type: 'bento.broker' })
  }

  #fail(message: string): Error {
    return new Error(`bento.broker "${this.#name}": ${message}`)
  }

  /** Defaults the transport to `memory`; checks it is a Bento input or output, and `topics`. */
  init(): void {
    const c = this.#config
    const transport = c.transport
    if (transport !== undefined && transport !== null && typeof transport !== 'string') {
      throw this.#fail('transport must be a string')
    }
    this.#transport = transport === undefined || transport === null || transport === '' ? 'memory' : transport
    const tc = c.transport_config ?? {}
    if (!isMap(tc)) throw this.#fail('transport_config must be a map')
    this.#transportConfig = tc
    const topics = c.topics ?? []
    if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string' || t === '')) {
      throw this.#fail('topics must be a list of topic names')
    }
    this.#initialTopics = topics as string[]
    const env = this.#ctx.env
    // transport_config is the transport component's config: its secret fields by the component spec
    addConfigSecrets({ [this.#transport]: tc }, env)
    addConfigSecrets(c, env)
    if (this.#transport !== 'memory') {
      if (!findPlugin(env, 'input', this.#transport) && !findPlugin(env, 'output', this.#transport)) {
        throw this.#fail(`transport "${this.#transport}" is neither a Bento input nor an output`)
      }
    }
  }

  /** The transport as a component config for one topic and direction, or undefined when it has none. */
  #component(kind: 'input' | 'output', topic: string): JsonObject | undefined {
    if (this.#transport === 'memory') return { inproc: `bento.broker/${this.#handleId}/${topic}` }
    if (!findPlugin(this.#ctx.env, kind, this.#transport)) return undefined
    return { [this.#transport]: forTopic(this.#transportConfig, topic) }
  }

  async start(): Promise<void> {
    if (this.#started) return
    this.init()
    this.#started = true
    this.#logger.info('broker started', { transport: this.#transport })
    try {
      for (const topic of this.#initialTopics) await this.ensureTopic(topic)
    } catch (err) {
      await this.stop().catch(() => {})
      throw err
    }
  }

  /** The streams of a topic, made once (concurrent callers share them). */
  ensureTopic(topic: string): Promise<TopicStreams> {
    if (!this.#started) return Promise.reject(this.#fail('not started'))
    let streams = this.#topics.get(topic)
    if (streams === undefined) {
      streams = this.#makeTopic(topic)
      this.#topics.set(topic, streams)
      streams.catch(() => this.#topics.delete(topic))
    }
    return streams
  }

  get topicCount(): number {
    return this.#topics.size
  }

  async #makeTopic(topic: string): Promise<TopicStreams> {
    const made: TopicStreams = { consumer: undefined, producer: undefined, source: undefined, unregister: [] }
    const fields = { module: this.#name, type: 'bento.broker', topic }
    const logger = this.#logger.child({ topic })
    const id = `${this.#handleId}/${topic}`
    const env = this.#ctx.env
    try {
      // The consumer first: an in-process transport needs its reader before anything is written.
      const input = this.#component('input', topic)
      if (input !== undefined && this.#ctx.callbacks() !== undefined) {
        const warn = throttledWarn(logger)
        const publish = async (batch: Batch) => {
          for (const message of batch) {
            const callbacks = this.#ctx.callbacks()
            const error =
              callbacks === undefined
                ? 'no host callbacks'
                : await callbacks
                    .publishMessage({
                      handleId: this.#handleId,
                      topic,
                      payload: message.bytes(),
                      metadata: metadataOf(message),
                    })
                    .then((r) => r.error)
                    .catch(errorText)
            if (error !== '') {
              warn('publish failed; the message will be redelivered', { topic, error })
              throw new Error(`publish message: ${error}`)
            }
          }
        }
        made.unregister.push(registerSink(`consume/${id}`, publish))
        const config = checkStream({ input, output: { [hostOutputType]: `consume/${id}` } }, env)
        made.consumer = new ModuleStream(logger, fields)
        await made.consumer.start(config, env)
      }
      const output = this.#component('output', topic)
      if (output !== undefined) {
        made.source = new HostSource()
        made.unregister.push(registerSource(`produce/${id}`, made.source))
        const config = checkStream({ input: { [hostInputType]: `produce/${id}` }, output }, env)
        made.producer = new ModuleStream(logger, fields)
        await made.producer.start(config, env)
      }
    } catch (err) {
      await this.#close(made).catch(() => {})
      throw this.#fail(`stream for topic "${topic}": ${errorText(err)}`)
    }
    logger.info('topic streams started', {
      consume: made.consumer !== undefined,
      produce: made.producer !== undefined,
    })
    return made
  }

  async deliver(topic: string, payload: Uint8Array, metadata: Record<string, string>): Promise<void> {
    const streams = await this.ensureTopic(topic)
    if (streams.source === undefined) {
      throw this.#fail(`transport "${this.#transport}" has no output: cannot produce to topic "${topic}"`)
    }
    await streams.source.push([new Message(payload, Object.entries(metadata))])
  }

  async #close(streams: TopicStreams): Promise<void> {
    try {
      // The producer first: what it still writes may need the consumer to be read.
      await streams.producer?.stop()
      await streams.consumer?.stop()
    } finally {
      for (const u of streams.unregister) u()
    }
  }

  /** Stops every topic's streams; the first failure is reported once all were stopped. */
  async stop(): Promise<void> {
    this.#started = false
    const topics = [...this.#topics.entries()]
    this.#topics.clear()
    let first: Error | undefined
    for (const [topic, streams] of topics) {
      const made = await streams.catch(() => undefined)
      if (made === undefined) continue
      try {
        await this.#close(made)
      } catch (err) {
        first ??= this.#fail(`stop stream for topic "${topic}": ${errorText(err)}`)
      }
    }
    if (topics.length > 0) this.#logger.info('broker stopped', { topics: topics.length })
    if (first !== undefined) throw first
  }
}
