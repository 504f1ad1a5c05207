// workflow.plugin.v1.PluginService: what the workflow engine calls on the plugin. Application
// errors go in the responses' `error` fields with an OK status, as the workflow Go SDK does.
import { randomUUID } from 'node:crypto'
import { createMetrics, type Environment, type Logger, type Metrics } from '@bento-ts/core'
import type * as grpc from '@grpc/grpc-js'
import { EngineCallbackService, PluginService } from './gen/workflow/plugin/v1/plugin_pb.ts'
import type { Broker } from './goplugin.ts'
import { addService, createClient, type ServiceClient } from './grpc.ts'
import { moduleSchemas, moduleTypes, stepTypes, triggerTypes } from './schemas.ts'
import { BentoStep } from './step.ts'
import { StreamModule } from './stream-module.ts'

export interface PluginManifest {
  name: string
  version: string
  author: string
  description: string
}

export type EngineCallbacks = ServiceClient<(typeof EngineCallbackService)['method']>

/** Module-like things a handle can name: modules and (later) triggers share one namespace. */
interface ModuleHandle {
  init(): void | Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

const notYet = (type: string, name: string) =>
  `${type} "${name}": not implemented yet in bento-ts (available: bento.stream, step.bento)`

export interface PluginServiceOptions {
  manifest: PluginManifest
  env: Environment
  logger: Logger
  metrics?: Metrics
}

/** The plugin's state: live modules and steps by handle, and the host callback client. */
export class BentoPlugin {
  readonly #options: PluginServiceOptions
  readonly #metrics: Metrics
  readonly #modules = new Map<string, ModuleHandle>()
  readonly #steps = new Map<string, BentoStep>()
  #callbacks: EngineCallbacks | undefined

  constructor(options: PluginServiceOptions) {
    this.#options = options
    this.#metrics = options.metrics ?? createMetrics()
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
    const { manifest, env, logger } = this.#options
    const errorOf = (err: unknown) => (err instanceof Error ? err.message : String(err))
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
      // No typed contracts: the host sends and takes the Struct fields (config, current, output).
      getContractRegistry: () => ({}),
      getConfigFragment: () => ({}),
      getAsset: () => ({ error: 'plugin does not implement AssetProvider' }),

      createModule: (request) => {
        if (!(moduleTypes as readonly string[]).includes(request.type)) {
          return { error: `unknown module type: ${request.type}` }
        }
        if (request.type !== 'bento.stream') return { error: notYet(request.type, request.name) }
        const handleId = randomUUID()
        this.#modules.set(handleId, new StreamModule(request.name, request.config, env, logger))
        return { handleId }
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
        if (!(stepTypes as readonly string[]).includes(request.type)) {
          return { error: `unknown step type: ${request.type}` }
        }
        try {
          const step = await BentoStep.create(request.name, request.config, env, logger, this.#metrics)
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
      deliverMessage: (request) => ({
        error: `no message handler for handle ${request.handleId} topic ${request.topic}`,
        acknowledged: false,
      }),

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
      createTrigger: (request) => {
        if (!(triggerTypes as readonly string[]).includes(request.type)) {
          return { error: `unknown trigger type "${request.type}"` }
        }
        return { error: notYet('bento trigger', request.name || request.type) }
      },
    })
  }
}
