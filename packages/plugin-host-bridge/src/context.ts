// What the plugin hands the modules, steps and triggers it creates: the host-facing types they
// import. service.ts (the PluginService) builds these and imports the modules; no module imports
// service.ts, so the dependency runs one way.
import type { Environment, Logger } from '@bento-ts/core'
import type { BridgeSettings } from './bridge/options.ts'
import type { EngineCallbackService } from './gen/workflow/plugin/v1/plugin_pb.ts'
import type { ServiceClient } from './grpc.ts'

/** The host's EngineCallbackService, as a promise client. */
export type EngineCallbacks = ServiceClient<(typeof EngineCallbackService)['method']>

/** What a module of the plugin may use besides its own config. */
export interface HostContext {
  /** the components streams are built from, the host ends included */
  env: Environment
  logger: Logger
  /** the host's EngineCallbackService, once ConfigureCallback succeeded */
  callbacks(): EngineCallbacks | undefined
  /** event permissions, depth limit, loop guard and metrics shared by every module */
  bridge: BridgeSettings
}

/** A module handle: modules and triggers share one namespace of handles. */
export interface ModuleHandle {
  init(): void | Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
  /** DeliverMessage for this handle; rejects (not acknowledged) when the message was not written */
  deliver?(topic: string, payload: Uint8Array, metadata: Record<string, string>): Promise<void>
}
