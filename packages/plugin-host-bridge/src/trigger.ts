// Trigger `bento`: each subscription runs a Bento input (and optional processors); every message
// becomes a TriggerWorkflow call {trigger_type: the trigger's workflowType, action, data:
// {body, metadata, workflow}}. The source is acknowledged only once the host call succeeded (the
// host runs the pipeline synchronously), so a failed run nacks it and the input redelivers it.
// A stream that fails by itself, or whose input keeps failing, is reported with action
// `stream_error`. Each message also goes as a connector event (`data.event`: id, foreign_id, type,
// headers, created_at; shaped by the subscription's `event` mapping), delivered in `parallel`
// lanes sharded by foreign_id (one entity's events stay in order), retried after `error_backoff`,
// held until `consume_lag` old, with `lag_alert` watching the oldest undelivered one.
import type { Batch, Logger, Message, StreamConfig } from '@bento-ts/core'
import type { JsonObject } from '@bufbuild/protobuf'
import { type ConnectorEvent, type EventMapper, eventMapper } from './bridge/event.ts'
import { forwardBatch } from './bridge/forward.ts'
import { createLanes, type Lanes } from './bridge/lanes.ts'
import { durationOption, intOption, type LaneConfig, laneConfig } from './bridge/options.ts'
import { addConfigSecrets } from './bridge/secrets.ts'
import type { HostContext, ModuleHandle } from './context.ts'
import { hostOutputType, registerSink } from './host-components.ts'
import {
  checkStream,
  errorText,
  isMap,
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
  event: EventMapper
  lanes: LaneConfig
  consumeLagMs: number
  lagAlertMs: number
  maxDepth: number
}

/** A message on its way to TriggerWorkflow, with the connector event made for it. */
interface Fired {
  message: Message
  event: ConnectorEvent
}

export class BentoTrigger implements ModuleHandle {
  readonly #handleId: string
  readonly #triggerType: string
  readonly #ctx: HostContext
  readonly #logger: Logger
  readonly #subscriptions: Subscription[]
  #running: { stream: ModuleStream; unregister: () => void; lanes: Lanes<Fired> }[] = []
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
        addConfigSecrets(item, this.#ctx.env)
        const pipeline = pipelineOf(item)
        // One processing thread unless asked otherwise: events must reach the lanes in read order.
        const ordered = pipeline === undefined ? { threads: 1 } : { threads: 1, ...(pipeline as object) }
        const stream = checkStream(
          {
            input: item.input,
            pipeline: ordered,
            output: { [hostOutputType]: `${this.#handleId}/${index}` },
          },
          this.#ctx.env,
        )
        if (item.event !== undefined && typeof item.event !== 'string') {
          throw new Error('event must be a Bloblang mapping (a string)')
        }
        let event: EventMapper
        try {
          event = eventMapper(item.event as string | undefined)
        } catch (err) {
          throw new Error(`event: ${errorText(err)}`)
        }
        return {
          index,
          workflow,
          action,
          maxInFlight,
          config: stream,
          event,
          lanes: laneConfig(item),
          consumeLagMs: durationOption(item, 'consume_lag', ''),
          lagAlertMs: durationOption(item, 'lag_alert', ''),
          maxDepth: intOption(item, 'max_propagation_depth', this.#ctx.bridge.maxDepth, 1),
        }
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
    const metrics = this.#ctx.bridge.metrics
    const labels = { trigger: this.#triggerType, workflow: sub.workflow }
    const lagGauge = metrics.gauge('bridge_trigger_oldest_undelivered_seconds', labels)
    const source = `bento.trigger/${this.#triggerType}/${sub.workflow}`
    const deliverOne = async ({ message, event }: Fired): Promise<void> => {
      const data = messageToMap(message)
      if (sub.workflow !== '') data.workflow = sub.workflow
      data.event = event as unknown as JsonObject
      try {
        await this.#call(sub.action, data)
      } catch (err) {
        warn('workflow trigger failed; it will be retried or redelivered', {
          workflow: sub.workflow,
          action: sub.action,
          error: errorText(err),
        })
        throw err
      }
      this.fired++
    }
    const lanes = createLanes<Fired>(
      {
        ...sub.lanes,
        consumeLagMs: sub.consumeLagMs,
        lagAlertMs: sub.lagAlertMs,
        onLag: (ageMs) => lagGauge.set(ageMs / 1000),
        onLagAlert: (ageMs) => {
          metrics.counter('bridge_trigger_lag_alerts', labels).inc()
          this.#logger.warn('trigger lag: the oldest undelivered event is older than lag_alert', {
            workflow: sub.workflow,
            age_ms: Math.round(ageMs),
            lag_alert_ms: sub.lagAlertMs,
          })
        },
      },
      deliverOne,
    )
    const fire = (batch: Batch): Promise<void> => {
      const now = Date.now()
      return forwardBatch(batch, {
        source,
        maxDepth: sub.maxDepth,
        destination: `bento trigger "${sub.workflow}"`,
        bridge: this.#ctx.bridge,
        labels,
        submit: (message) => {
          const event = sub.event(message, sub.action, now)
          // created_at is always a valid RFC 3339 time (defaulted, or checked by the event mapping)
          const key = event.foreign_id !== '' ? event.foreign_id : event.id
          return lanes.submit(key, Date.parse(event.created_at), { message, event })
        },
      })
    }
    const unregister = registerSink(
      `${this.#handleId}/${sub.index}`,
      fire,
      Math.max(sub.maxInFlight, sub.lanes.parallel * 2),
    )
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
      lanes.close()
      throw new Error(`bento trigger: start stream for workflow "${sub.workflow}": ${errorText(err)}`)
    }
    this.#running.push({ stream, unregister, lanes })
  }

  /** Stops every subscription's stream; returns at once when none runs. */
  async stop(): Promise<void> {
    const running = this.#running
    this.#running = []
    let first: Error | undefined
    for (const { stream, unregister, lanes } of running) {
      // Deliveries retried under error_backoff would hold the drain: give them half the stop window.
      const giveUp = setTimeout(() => lanes.close(), 5000)
      try {
        await stream.stop()
      } catch (err) {
        first ??= new Error(`bento trigger: stop stream: ${errorText(err)}`)
      } finally {
        clearTimeout(giveUp)
        lanes.close()
        unregister()
      }
    }
    if (running.length > 0) this.#logger.info('trigger stopped', { fired: this.fired })
    if (first !== undefined) throw first
  }
}
