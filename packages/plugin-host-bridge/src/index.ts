import { type Environment, standardEnvironment } from '@bento-ts/core'
import { type HandshakeConfig, type PluginServer, servePlugin } from './goplugin.ts'
import { createPluginLogger } from './log.ts'
import { BentoPlugin, type PluginManifest } from './service.ts'

export { BrokerModule } from './broker-module.ts'
export {
  Broker,
  negotiateVersion,
  notAPluginHostMessage,
  type PluginServer,
  servePlugin,
} from './goplugin.ts'
export { addService, createClient, grpcError, type ServiceClient, serviceDefinition } from './grpc.ts'
export {
  HostSource,
  hostInputType,
  hostOutputType,
  registerSink,
  registerSource,
  withHostComponents,
} from './host-components.ts'
export { InputModule } from './input-module.ts'
export { createPluginLogger } from './log.ts'
export { type HostContext, type ModuleHandle, messageToMap, metadataOf } from './messaging.ts'
export { OutputModule } from './output-module.ts'
export { moduleSchemas, moduleTypes, stepTypes, triggerTypes } from './schemas.ts'
export { BentoPlugin, type EngineCallbacks, type PluginManifest } from './service.ts'
export { BentoStep, toOutput } from './step.ts'
export { StreamModule, withoutInternalKeys } from './stream-module.ts'
export { BentoTrigger } from './trigger.ts'

/** The workflow engine's go-plugin handshake (its plugin/external/contract package). */
export const workflowHandshake: HandshakeConfig = {
  protocolVersions: [1],
  magicCookieKey: 'WORKFLOW_PLUGIN',
  magicCookieValue: 'workflow-external-plugin-v1',
}

/**
 * Whether this process was started as a plugin: a go-plugin host sets the magic cookie and the
 * PLUGIN_* variables. (With the cookie missing or wrong, `serveWorkflowPlugin` says so and exits 1.)
 */
export function isPluginInvocation(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    env[workflowHandshake.magicCookieKey] !== undefined ||
    env.PLUGIN_PROTOCOL_VERSIONS !== undefined ||
    (env.PLUGIN_MIN_PORT !== undefined && env.PLUGIN_MAX_PORT !== undefined)
  )
}

export interface WorkflowPluginOptions {
  manifest: PluginManifest
  /** components available to streams and steps; default: the standard ones */
  env?: Environment
  processEnv?: NodeJS.ProcessEnv
}

/** Serves workflow-plugin-bento to a workflow host until it asks the plugin to shut down. */
export async function serveWorkflowPlugin(options: WorkflowPluginOptions): Promise<PluginServer | undefined> {
  const logger = createPluginLogger({
    level: options.processEnv?.BENTO_PLUGIN_LOG_LEVEL ?? process.env.BENTO_PLUGIN_LOG_LEVEL ?? 'info',
    fields: { '@module': 'bento' },
  })
  const plugin = new BentoPlugin({
    manifest: options.manifest,
    env: options.env ?? standardEnvironment(),
    logger,
  })
  return servePlugin({
    handshake: workflowHandshake,
    logger,
    ...(options.processEnv === undefined ? {} : { env: options.processEnv }),
    register: (server, broker) => plugin.register(server, broker),
    onShutdown: () => plugin.stopAll(),
  })
}
