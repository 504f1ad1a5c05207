// `bento.input`: a Bento input (and optional processors) as an event source. Every message is
// published to the host topic `target_topic` (EngineCallbackService.PublishMessage); its source is
// acknowledged only once the host accepted the publish, and a failed publish nacks it, so the
// input redelivers it by its own rules (auto_replay_nacks for most inputs).
import type { Batch, Logger, Message, StreamConfig } from '@bento-ts/core'
import { BatchView, Interpolated } from '@bento-ts/core/kit'
import type { JsonObject } from '@bufbuild/protobuf'
import { stableId } from './bridge/envelope.ts'
import { forwardBatch } from './bridge/forward.ts'
import { createLanes, type Lanes } from './bridge/lanes.ts'
import { intOption, type LaneConfig, laneConfig } from './bridge/options.ts'
import { checkEmit } from './bridge/permissions.ts'
import { addConfigSecrets } from './bridge/secrets.ts'
import { topicProblem } from './bridge/topics.ts'
import type { HostContext, ModuleHandle } from './context.ts'
import { hostOutputType, registerSink } from './host-components.ts'
import {
  checkStream,
  errorText,
  isMap,
  ModuleStream,
  metadataOf,
  pipelineOf,
  throttledWarn,
  withoutInternalKeys,
} from './messaging.ts'

export class InputModule implements ModuleHandle {
  readonly #handleId: string
  readonly #name: string
  readonly #config: JsonObject
  readonly #ctx: HostContext
  readonly #logger: Logger
  readonly #stream: ModuleStream
  #checked:
    | {
        config: StreamConfig
        topic: string
        lanes: LaneConfig
        maxDepth: number
        key: Interpolated | undefined
      }
    | undefined
  #unregister: (() => void) | undefined
  #lanes: Lanes<Message> | undefined
  published = 0
  errors = 0

  constructor(handleId: string, name: string, config: JsonObject | undefined, ctx: HostContext) {
    this.#handleId = handleId
    this.#name = name
    this.#config = withoutInternalKeys(config)
    this.#ctx = ctx
    this.#logger = ctx.logger.child({ module: name, type: 'bento.input' })
    this.#stream = new ModuleStream(this.#logger, { module: name, type: 'bento.input' })
  }

  #fail(message: string): Error {
    return new Error(`bento.input "${this.#name}": ${message}`)
  }

  /** Checks the config: target_topic, input (a map), processors, and the whole stream it makes. */
  init(): void {
    const c = this.#config
    const topic = c.target_topic
    if (typeof topic !== 'string' || topic.trim() === '') throw this.#fail('target_topic is required')
    const problem = topicProblem(topic, false)
    if (problem !== undefined) throw this.#fail(`target_topic "${topic}" ${problem}`)
    checkEmit(this.#ctx.bridge.permissions, topic, `bento.input "${this.#name}"`)
    addConfigSecrets(c, this.#ctx.env)
    if (c.input === undefined || c.input === null) throw this.#fail('input configuration is required')
    if (!isMap(c.input)) throw this.#fail('input config must be a map')
    try {
      const pipeline = pipelineOf(c)
      const maxInFlight = c.max_in_flight ?? 1
      if (typeof maxInFlight !== 'number' || !Number.isInteger(maxInFlight) || maxInFlight < 1) {
        throw new Error('max_in_flight must be a positive integer')
      }
      const config = checkStream(
        {
          input: c.input,
          ...(pipeline === undefined ? {} : { pipeline }),
          output: { [hostOutputType]: this.#handleId },
          ...(c.shutdown_timeout === undefined ? {} : { shutdown_timeout: c.shutdown_timeout }),
          ...(c.logger === undefined ? {} : { logger: c.logger }),
        },
        this.#ctx.env,
      )
      const foreignId = c.foreign_id
      if (foreignId !== undefined && typeof foreignId !== 'string') {
        throw new Error('foreign_id must be an interpolated string, e.g. ${! meta("kafka_key") }')
      }
      this.#checked = {
        config,
        topic,
        lanes: laneConfig(c),
        maxDepth: intOption(c, 'max_propagation_depth', this.#ctx.bridge.maxDepth, 1),
        key: foreignId === undefined || foreignId === '' ? undefined : new Interpolated(foreignId),
      }
    } catch (err) {
      throw this.#fail(errorText(err))
    }
  }

  async start(): Promise<void> {
    if (this.#stream.running) return
    if (this.#checked === undefined) this.init()
    const { config, topic } = this.#checked!
    if (this.#ctx.callbacks() === undefined) {
      throw this.#fail('no host callbacks (ConfigureCallback was not called): cannot publish messages')
    }
    const warn = throttledWarn(this.#logger)
    const { lanes: laneOptions, maxDepth, key } = this.#checked!
    const source = `bento.input/${this.#name}`
    const publishOne = async (message: Message): Promise<void> => {
      const callbacks = this.#ctx.callbacks()
      if (callbacks === undefined) throw new Error('publish message: no host callbacks')
      let error: string
      try {
        const response = await callbacks.publishMessage({
          handleId: this.#handleId,
          topic,
          payload: message.bytes(),
          metadata: metadataOf(message),
        })
        error = response.error
      } catch (err) {
        error = errorText(err)
      }
      if (error !== '') {
        this.errors++
        warn('publish failed; the message will be retried or redelivered', { topic, error })
        throw new Error(`publish message: ${error}`)
      }
      this.published++
    }
    const lanes = createLanes<Message>({ ...laneOptions, consumeLagMs: 0, lagAlertMs: 0 }, publishOne)
    this.#lanes = lanes
    const publish = (batch: Batch): Promise<void> => {
      const view = key === undefined ? undefined : new BatchView(batch)
      return forwardBatch(batch, {
        source,
        maxDepth,
        destination: `bento.input "${this.#name}" → ${topic}`,
        bridge: this.#ctx.bridge,
        labels: { module: this.#name },
        submit: (message, i) =>
          lanes.submit(view === undefined ? stableId(message) : key!.text(view, i), Date.now(), message),
      })
    }
    const maxInFlight = Math.max(
      (this.#config.max_in_flight as number | undefined) ?? 1,
      laneOptions.parallel,
    )
    this.#unregister = registerSink(this.#handleId, publish, maxInFlight)
    try {
      await this.#stream.start(config, this.#ctx.env)
    } catch (err) {
      this.#unregister()
      lanes.close()
      throw this.#fail(`start: ${errorText(err)}`)
    }
    this.#logger.info('stream started', { input: config.input.type, target_topic: topic })
  }

  async stop(): Promise<void> {
    if (!this.#stream.running) return
    // Deliveries retried under error_backoff would hold the drain: give them half the stop window.
    const giveUp = setTimeout(() => this.#lanes?.close(), 5000)
    try {
      await this.#stream.stop()
    } catch (err) {
      throw this.#fail(`stop: ${errorText(err)}`)
    } finally {
      clearTimeout(giveUp)
      this.#lanes?.close()
      this.#unregister?.()
      this.#logger.info('stream stopped', { messages_published: this.published, errors: this.errors })
    }
  }
}
