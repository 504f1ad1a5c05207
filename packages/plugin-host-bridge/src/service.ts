// workflow.plugin.v1.PluginService: what the workflow engine calls on the plugin. Application
// errors go in the responses' `error` fields with an OK status, as the workflow Go SDK does.
import { randomUUID } from 'node:crypto'
import { createMetrics, type Environment, type Logger, type Metrics } from '@bento-ts/core'
import type { JsonObject } from '@bufbuild/protobuf'
import type * as grpc from '@grpc/grpc-js'
import { type BridgeSettings, bridgeSettings } from './bridge/options.ts'
import type { EventPermissions } from './bridge/permissions.ts'
import { maskSecrets } from './bridge/secrets.ts'
import { BrokerModule } from './broker-module.ts'
import type { EngineCallbacks, HostContext, ModuleHandle } from './context.ts'
import { contractRegistry, typedModuleConfig, typedStepOutput, typedStepRequest } from './contracts.ts'
import { EngineCallbackService, PluginService } from './gen/workflow/plugin/v1/plugin_pb.ts'
import type { Broker } from './goplugin.ts'
import { addService, createClient } from './grpc.ts'
import { withHostComponents } from './host-components.ts'
import { InputModule } from './input-module.ts'
import { errorText } from './messaging.ts'
import { OutputModule } from './output-module.ts'
import { moduleSchemas, moduleTypes, stepTypes, triggerTypes } from './schemas.ts'
import { BentoStep } from './step.ts'
import { StreamModule } from './stream-module.ts'
import { BentoTrigger } from './trigger.ts'

export interface PluginManifest {
  name: string
  version: string
  author: string
  description: string
}

export interface PluginServiceOptions {
  manifest: PluginManifest
  /**
   * The components streams and steps are built from. A function is called when the first module,
   * step or trigger is created: loading the connector packages (and their SDKs) then costs the
   * host's plugin load nothing, and a plugin whose types are never used never loads them.
   */
  env: Environment | (() => Promise<Environment>)
  logger: Logger
  metrics?: Metrics
  /** events.emit / events.subscribe / events.max_propagation_depth from the plugin's config */
  events?: EventPermissions
}

/** The plugin's state: live modules and steps by handle, and the host callback client. */
export class BentoPlugin {
  readonly #options: PluginServiceOptions
  readonly #metrics: Metrics
  #env: Environment | undefined
  #envLoad: Promise<Environment> | undefined
  readonly #modules = new Map<string, ModuleHandle>()
  readonly #steps = new Map<string, BentoStep>()
  #callbacks: EngineCallbacks | undefined
  readonly bridge: BridgeSettings

  constructor(options: PluginServiceOptions) {
    this.#options = options
    this.#metrics = options.metrics ?? createMetrics()
    if (typeof options.env !== 'function') this.#env = withHostComponents(options.env)
    const events = options.events ?? {}
    this.bridge = bridgeSettings(options.logger, this.#metrics, events, events.maxPropagationDepth)
  }

  /** The environment, loaded on first use (a failed load is tried again by the next call). */
  #environment(): Promise<Environment> {
    if (this.#env !== undefined) return Promise.resolve(this.#env)
    const load = this.#options.env as () => Promise<Environment>
    this.#envLoad ??= Promise.resolve()
      .then(load)
      .then(
        (env) => {
          this.#env = withHostComponents(env)
          return this.#env
        },
        (err: unknown) => {
          this.#envLoad = undefined
          throw err
        },
      )
    return this.#envLoad
  }

  /** Only once the environment is loaded (`#environment()`). */
  #context(): HostContext {
    return {
      env: this.#env!,
      logger: this.#options.logger,
      callbacks: () => this.#callbacks,
      bridge: this.bridge,
    }
  }

  #newModule(type: string, handleId: string, name: string, config: JsonObject | undefined): ModuleHandle {
    const ctx = this.#context()
    switch (type) {
      case 'bento.input':
        return new InputModule(handleId, name, config, ctx)
      case 'bento.output':
        return new OutputModule(handleId, name, config, ctx)
      case 'bento.broker':
        return new BrokerModule(handleId, name, config, ctx)
      default:
        return new StreamModule(name, config, ctx)
    }
  }

  /** The host's EngineCallbackService, once ConfigureCallback succeeded. */
  get callbacks(): EngineCallbacks | undefined {
    return this.#callbacks
  }

  /** Stops every running module (on Shutdown; the host does not always stop them first). */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.#modules.values()].map((m) => m.stop()))
    await Promise.allSettled([...this.#steps.values()].map((s) => s.close()))
  }

  register(server: grpc.Server, broker: Broker): void {
    const { manifest, logger } = this.#options
    const ready = (): Promise<Environment> => this.#environment()
    // Errors go back to the host (and into its logs): no secret in clear.
    const errorOf = (err: unknown) => maskSecrets(errorText(err))
    const onModule = async (
      handleId: string,
      action: (m: ModuleHandle) => void | Promise<void>,
    ): Promise<{ error: string }> => {
      const module = this.#modules.get(handleId)
      if (module === undefined) return { error: `unknown module handle: ${handleId}` }
      try {
        await action(module)
        return { error: '' }
      } catch (err) {
        return { error: errorOf(err) }
      }
    }

    addService(server, PluginService, {
      getManifest: () => ({ ...manifest, configMutable: false, sampleCategory: '' }),
      getModuleTypes: () => ({ types: [...moduleTypes] }),
      getStepTypes: () => ({ types: [...stepTypes] }),
      getTriggerTypes: () => ({ types: [...triggerTypes] }),
      getModuleSchemas: () => ({ schemas: [...moduleSchemas] }),
      // STRICT_PROTO for every type: a host that reads this sends typed_config / typed_input and
      // wants typed_output; requests with the Struct fields only are served as before.
      getContractRegistry: () => contractRegistry,
      getConfigFragment: () => ({}),
      getAsset: () => ({ error: 'plugin does not implement AssetProvider' }),

      createModule: async (request) => {
        await ready()
        if (!(moduleTypes as readonly string[]).includes(request.type)) {
          return { error: `unknown module type: ${request.type}` }
        }
        try {
          const config =
            request.typedConfig === undefined
              ? request.config
              : typedModuleConfig(request.type, request.typedConfig)
          const handleId = randomUUID()
          this.#modules.set(handleId, this.#newModule(request.type, handleId, request.name, config))
          return { handleId }
        } catch (err) {
          return { error: errorOf(err) }
        }
      },
      initModule: (request) => onModule(request.handleId, (m) => m.init()),
      startModule: (request) => onModule(request.handleId, (m) => m.start()),
      stopModule: (request) => onModule(request.handleId, (m) => m.stop()),
      destroyModule: async (request) => {
        const result = await onModule(request.handleId, (m) => m.stop())
        this.#modules.delete(request.handleId)
        return result
      },

      createStep: async (request) => {
        const env = await ready()
        if (!(stepTypes as readonly string[]).includes(request.type)) {
          return { error: `unknown step type: ${request.type}` }
        }
        try {
          const config =
            request.typedConfig === undefined
              ? request.config
              : typedStepRequest(request.typedConfig, undefined).config
          const step = await BentoStep.create(request.name, config, env, logger, this.#metrics)
          const handleId = randomUUID()
          this.#steps.set(handleId, step)
          return { handleId }
        } catch (err) {
          return { error: errorOf(err) }
        }
      },
      executeStep: async (request) => {
        const step = this.#steps.get(request.handleId)
        if (step === undefined) return { error: `unknown step handle: ${request.handleId}` }
        try {
          if (request.typedConfig !== undefined || request.typedInput !== undefined) {
            // STRICT_PROTO: the host sends no current/config Structs and reads only typed_output.
            const typed = typedStepRequest(request.typedConfig, request.typedInput)
            const { output } = await step.execute({
              triggerData: request.triggerData,
              current: typed.data,
              config: typed.config,
            })
            return { typedOutput: typedStepOutput(output) }
          }
          const { output } = await step.execute({
            triggerData: request.triggerData,
            current: request.current,
            config: request.config,
          })
          return { output }
        } catch (err) {
          return { error: errorOf(err) }
        }
      },
      destroyStep: async (request) => {
        const step = this.#steps.get(request.handleId)
        if (step === undefined) return { error: `unknown step handle: ${request.handleId}` }
        this.#steps.delete(request.handleId)
        await step.close()
        return {}
      },

      invokeService: (request) => ({
        error: this.#modules.has(request.handleId)
          ? `module handle ${request.handleId} does not implement ServiceInvoker`
          : `unknown module handle: ${request.handleId}`,
      }),
      deliverMessage: async (request) => {
        const module = this.#modules.get(request.handleId)
        if (module?.deliver === undefined) {
          return {
            error: `no message handler for handle ${request.handleId} topic ${request.topic}`,
            acknowledged: false,
          }
        }
        try {
          await module.deliver(request.topic, request.payload, request.metadata)
          return { acknowledged: true }
        } catch (err) {
          return { error: errorOf(err), acknowledged: false }
        }
      },

      configureCallback: async (request) => {
        if (request.brokerId === 0) return { error: 'callback broker id is required' }
        let channel: grpc.Client
        try {
          channel = await broker.dial(request.brokerId)
        } catch (err) {
          return { error: `dial callback broker: ${errorOf(err)}` }
        }
        const previous = this.#callbacks
        this.#callbacks = createClient(EngineCallbackService, channel)
        previous?.grpcClient.close()
        logger.debug('host callbacks connected', { broker_id: request.brokerId })
        return {}
      },
      createTrigger: async (request) => {
        await ready()
        if (!(triggerTypes as readonly string[]).includes(request.type)) {
          return { error: `unknown trigger type "${request.type}"` }
        }
        const handleId = randomUUID()
        try {
          const trigger = new BentoTrigger(
            handleId,
            request.name || request.type,
            request.config,
            this.#context(),
          )
          this.#modules.set(handleId, trigger)
          return { handleId }
        } catch (err) {
          return { error: errorOf(err) }
        }
      },
    })
  }
}
