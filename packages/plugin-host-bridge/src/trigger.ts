// Trigger `bento`: each subscription runs a Bento input (and optional processors); every message
// becomes a TriggerWorkflow call {trigger_type: the trigger's workflowType, action, data:
// {body, metadata, workflow}}. The source is acknowledged only once the host call succeeded (the
// host runs the pipeline synchronously), so a failed run nacks it and the input redelivers it.
// A stream that fails by itself is reported with action `stream_error`.
import type { Batch, Logger, StreamConfig } from '@bento-ts/core'
import type { JsonObject } from '@bufbuild/protobuf'
import { hostOutputType, registerSink } from './host-components.ts'
import {
  checkStream,
  errorText,
  type HostContext,
  isMap,
  type ModuleHandle,
  ModuleStream,
  messageToMap,
  pipelineOf,
  throttledWarn,
} from './messaging.ts'

interface Subscription {
  index: number
  workflow: string
  action: string
  maxInFlight: number
  config: StreamConfig
}

export class BentoTrigger implements ModuleHandle {
  readonly #handleId: string
  readonly #triggerType: string
  readonly #ctx: HostContext
  readonly #logger: Logger
  readonly #subscriptions: Subscription[]
  #running: { stream: ModuleStream; unregister: () => void }[] = []
  fired = 0

  /** Checks the config at CreateTrigger: errors there name the subscription and the field. */
  constructor(handleId: string, triggerType: string, config: JsonObject | undefined, ctx: HostContext) {
    this.#handleId = handleId
    this.#triggerType = triggerType
    this.#ctx = ctx
    this.#logger = ctx.logger.child({ trigger: triggerType, type: 'bento' })
    this.#subscriptions = this.#parse(config ?? {})
  }

  get subscriptionCount(): number {
    return this.#subscriptions.length
  }

  #parse(config: JsonObject): Subscription[] {
    const list = config.subscriptions
    if (list === undefined || list === null) return []
    if (!Array.isArray(list)) throw new Error('bento trigger: subscriptions must be a list')
    return list.map((item, index) => {
      const at = `bento trigger: subscription[${index}]`
      if (!isMap(item)) throw new Error(`${at} must be a map`)
      if (!isMap(item.input)) throw new Error(`${at}.input must be a map`)
      const workflow = item.workflow ?? ''
      const action = item.action ?? 'trigger'
      if (typeof workflow !== 'string') throw new Error(`${at}.workflow must be a string`)
      if (typeof action !== 'string' || action === '')
        throw new Error(`${at}.action must be a non-empty string`)
      const maxInFlight = item.max_in_flight ?? 1
      if (typeof maxInFlight !== 'number' || !Number.isInteger(maxInFlight) || maxInFlight < 1) {
        throw new Error(`${at}.max_in_flight must be a positive integer`)
      }
      try {
        const pipeline = pipelineOf(item)
        const stream = checkStream(
          {
            input: item.input,
            ...(pipeline === undefined ? {} : { pipeline }),
            output: { [hostOutputType]: `${this.#handleId}/${index}` },
          },
          this.#ctx.env,
        )
        return { index, workflow, action, maxInFlight, config: stream }
      } catch (err) {
        throw new Error(`${at}: ${errorText(err)}`)
      }
    })
  }

  /** InitModule: nothing to do (the config was checked at CreateTrigger). */
  init(): void {}

  async #call(action: string, data: JsonObject): Promise<void> {
    const callbacks = this.#ctx.callbacks()
    if (callbacks === undefined) throw new Error('trigger callback client is not configured')
    let error: string
    try {
      error = (await callbacks.triggerWorkflow({ triggerType: this.#triggerType, action, data })).error
    } catch (err) {
      error = errorText(err)
    }
    if (error !== '') throw new Error(error)
  }

  async start(): Promise<void> {
    if (this.#running.length > 0) return
    if (this.#ctx.callbacks() === undefined) {
      throw new Error(
        'bento trigger: trigger callback client is not configured (ConfigureCallback was not called)',
      )
    }
    try {
      for (const sub of this.#subscriptions) await this.#startOne(sub)
    } catch (err) {
      await this.stop().catch(() => {})
      throw err
    }
    if (this.#subscriptions.length > 0) {
      this.#logger.info('trigger started', { subscriptions: this.#subscriptions.length })
    }
  }

  async #startOne(sub: Subscription): Promise<void> {
    const warn = throttledWarn(this.#logger)
    const fire = async (batch: Batch) => {
      for (const message of batch) {
        const data = messageToMap(message)
        if (sub.workflow !== '') data.workflow = sub.workflow
        try {
          await this.#call(sub.action, data)
        } catch (err) {
          warn('workflow trigger failed; the message will be redelivered', {
            workflow: sub.workflow,
            action: sub.action,
            error: errorText(err),
          })
          throw err
        }
        this.fired++
      }
    }
    const unregister = registerSink(`${this.#handleId}/${sub.index}`, fire, sub.maxInFlight)
    const stream = new ModuleStream(
      this.#logger.child({ workflow: sub.workflow }),
      { trigger: this.#triggerType, type: 'bento', workflow: sub.workflow },
      (err) => {
        const data = { error: err.message, workflow: sub.workflow, action: sub.action }
        this.#call('stream_error', data).catch((e: unknown) =>
          this.#logger.error('could not report a stream error', { error: errorText(e) }),
        )
      },
    )
    try {
      await stream.start(sub.config, this.#ctx.env)
    } catch (err) {
      unregister()
      throw new Error(`bento trigger: start stream for workflow "${sub.workflow}": ${errorText(err)}`)
    }
    this.#running.push({ stream, unregister })
  }

  /** Stops every subscription's stream; returns at once when none runs. */
  async stop(): Promise<void> {
    const running = this.#running
    this.#running = []
    let first: Error | undefined
    for (const { stream, unregister } of running) {
      try {
        await stream.stop()
      } catch (err) {
        first ??= new Error(`bento trigger: stop stream: ${errorText(err)}`)
      } finally {
        unregister()
      }
    }
    if (running.length > 0) this.#logger.info('trigger stopped', { fired: this.fired })
    if (first !== undefined) throw first
  }
}
