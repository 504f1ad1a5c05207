// `bento.output`: a Bento output (and optional processors) as an event sink. At Start it
// subscribes to the host topic pattern `source_topic` (EngineCallbackService.Subscribe; `*` is one
// segment, `**` one or more); every message the host delivers (DeliverMessage) for a matching
// topic goes through the processors to the output, and DeliverMessage answers `acknowledged` only
// once the output wrote it — or with the error that stopped it. Each module has its own delivery
// window (max_in_flight, queue_size): under `delivery: at_least_once` a full window holds the
// host's call (and fails it, retryable, after backpressure_timeout); `best_effort` drops instead.
import { type Logger, Message, type StreamConfig } from '@bento-ts/core'
import type { JsonObject } from '@bufbuild/protobuf'
import { deliveryOption, durationOption, intOption } from './bridge/options.ts'
import { checkSubscribe } from './bridge/permissions.ts'
import { addConfigSecrets } from './bridge/secrets.ts'
import { matchTopic, topicProblem } from './bridge/topics.ts'
import { type DeliveryWindow, deliveryWindow } from './bridge/window.ts'
import type { HostContext, ModuleHandle } from './context.ts'
import { HostSource, hostInputType, registerSource } from './host-components.ts'
import { checkStream, errorText, isMap, ModuleStream, pipelineOf, withoutInternalKeys } from './messaging.ts'

export class OutputModule implements ModuleHandle {
  readonly #handleId: string
  readonly #name: string
  readonly #config: JsonObject
  readonly #ctx: HostContext
  readonly #logger: Logger
  readonly #stream: ModuleStream
  #checked: { config: StreamConfig; topic: string; broker: string; window: DeliveryWindow } | undefined
  #warnedDrop = 0
  #source: HostSource | undefined
  #unregister: (() => void) | undefined
  received = 0
  written = 0
  dropped = 0

  constructor(handleId: string, name: string, config: JsonObject | undefined, ctx: HostContext) {
    this.#handleId = handleId
    this.#name = name
    this.#config = withoutInternalKeys(config)
    this.#ctx = ctx
    this.#logger = ctx.logger.child({ module: name, type: 'bento.output' })
    this.#stream = new ModuleStream(this.#logger, { module: name, type: 'bento.output' })
  }

  #fail(message: string): Error {
    return new Error(`bento.output "${this.#name}": ${message}`)
  }

  init(): void {
    const c = this.#config
    const topic = c.source_topic
    if (typeof topic !== 'string' || topic.trim() === '') throw this.#fail('source_topic is required')
    const problem = topicProblem(topic)
    if (problem !== undefined) throw this.#fail(`source_topic "${topic}" ${problem}`)
    checkSubscribe(this.#ctx.bridge.permissions, topic, `bento.output "${this.#name}"`)
    addConfigSecrets(c, this.#ctx.env)
    if (c.output === undefined || c.output === null) throw this.#fail('output configuration is required')
    if (!isMap(c.output)) throw this.#fail('output config must be a map')
    const broker = typeof c.source_broker === 'string' ? c.source_broker : ''
    try {
      const pipeline = pipelineOf(c)
      const config = checkStream(
        {
          input: { [hostInputType]: this.#handleId },
          ...(pipeline === undefined ? {} : { pipeline }),
          output: c.output,
          ...(c.shutdown_timeout === undefined ? {} : { shutdown_timeout: c.shutdown_timeout }),
          ...(c.logger === undefined ? {} : { logger: c.logger }),
        },
        this.#ctx.env,
      )
      const window = deliveryWindow(
        {
          maxInFlight: intOption(c, 'max_in_flight', 64, 1),
          queueSize: intOption(c, 'queue_size', 1024, 0),
          delivery: deliveryOption(c),
          backpressureTimeoutMs: durationOption(c, 'backpressure_timeout', '30s'),
        },
        `bento.output "${this.#name}"`,
      )
      this.#checked = { config, topic, broker, window }
    } catch (err) {
      throw this.#fail(errorText(err))
    }
  }

  /** Starts the stream, then subscribes; a refused subscription leaves nothing running. */
  async start(): Promise<void> {
    if (this.#stream.running) return
    if (this.#checked === undefined) this.init()
    const { config, topic, broker } = this.#checked!
    const callbacks = this.#ctx.callbacks()
    if (callbacks === undefined) {
      throw this.#fail('no host callbacks (ConfigureCallback was not called): cannot subscribe')
    }
    const source = new HostSource()
    this.#source = source
    this.#unregister = registerSource(this.#handleId, source)
    try {
      await this.#stream.start(config, this.#ctx.env)
    } catch (err) {
      this.#unregister()
      this.#source = undefined
      throw this.#fail(`start: ${errorText(err)}`)
    }
    let error: string
    try {
      error = (await callbacks.subscribe({ handleId: this.#handleId, topic, brokerName: broker })).error
    } catch (err) {
      error = errorText(err)
    }
    if (error !== '') {
      this.#source = undefined
      await this.#stream.stop().catch(() => {})
      this.#unregister()
      throw this.#fail(`subscribe to topic "${topic}": ${error}`)
    }
    this.#logger.info('stream started', { output: config.output.type, source_topic: topic })
  }

  async deliver(topic: string, payload: Uint8Array, metadata: Record<string, string>): Promise<void> {
    const source = this.#source
    const checked = this.#checked
    if (source === undefined || checked === undefined || !matchTopic(checked.topic, topic)) {
      throw new Error(`no message handler for handle ${this.#handleId} topic ${topic}`)
    }
    this.received++
    const outcome = await checked.window.run(() =>
      source.push([new Message(payload, Object.entries(metadata))]),
    )
    if (outcome === 'dropped') {
      this.dropped++
      this.#ctx.bridge.metrics.counter('bridge_delivery_dropped', { module: this.#name }).inc()
      // a warning per second at most: a flood of drops must not flood the log too
      const now = Date.now()
      if (now - this.#warnedDrop >= 1000) {
        this.#warnedDrop = now
        this.#logger.warn('delivery window full: message dropped (delivery: best_effort)', {
          source_topic: checked.topic,
          topic,
          dropped_total: this.dropped,
        })
      }
      return
    }
    this.written++
  }

  /** Unsubscribes (a refusal is only logged), then drains the stream. */
  async stop(): Promise<void> {
    if (!this.#stream.running) return
    const topic = this.#checked!.topic
    this.#source = undefined
    const callbacks = this.#ctx.callbacks()
    if (callbacks !== undefined) {
      const error = await callbacks
        .unsubscribe({ handleId: this.#handleId, topic })
        .then((r) => r.error)
        .catch(errorText)
      if (error !== '') this.#logger.warn('unsubscribe failed', { topic, error })
    }
    try {
      await this.#stream.stop()
    } catch (err) {
      throw this.#fail(`stop: ${errorText(err)}`)
    } finally {
      this.#unregister?.()
      this.#logger.info('stream stopped', {
        messages_received: this.received,
        messages_written: this.written,
      })
    }
  }
}
