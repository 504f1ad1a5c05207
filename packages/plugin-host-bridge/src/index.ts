import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type Environment, standardEnvironment } from '@bento-ts/core'
import { parse as parseYaml } from 'yaml'
import { type EventPermissions, parseEventPermissions } from './bridge/permissions.ts'
import { type HandshakeConfig, type PluginServer, servePlugin } from './goplugin.ts'
import { conflictingPlugins, conflictMessage, ownPluginDir } from './installation.ts'
import { createPluginLogger } from './log.ts'
import { moduleTypes, stepTypes, triggerTypes } from './schemas.ts'
import { BentoPlugin, type PluginManifest } from './service.ts'

export { BrokerModule } from './broker-module.ts'
export type { EngineCallbacks, HostContext, ModuleHandle } from './context.ts'
export {
  contractRegistry,
  type ManifestContract,
  manifestContracts,
  moduleConfigMessages,
} from './contracts.ts'
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
export {
  conflictingPlugins,
  conflictMessage,
  type InstalledPlugin,
  ownPluginDir,
  readInstalled,
} from './installation.ts'
export { createPluginLogger } from './log.ts'
export { messageToMap, metadataOf, withoutInternalKeys } from './messaging.ts'
export { OutputModule } from './output-module.ts'
export { moduleSchemas, moduleTypes, stepTypes, triggerTypes } from './schemas.ts'
export { BentoPlugin, type PluginManifest } from './service.ts'
export { BentoStep, toOutput } from './step.ts'
export { StreamModule } from './stream-module.ts'
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

export {
  checkEmit,
  checkSubscribe,
  type EventPermissions,
  mayEmit,
  maySubscribe,
  parseEventPermissions,
} from './bridge/permissions.ts'
export { maskSecrets } from './bridge/secrets.ts'
export { matchTopic, patternWithin, topicProblem } from './bridge/topics.ts'

export interface WorkflowPluginOptions {
  manifest: PluginManifest
  /**
   * components available to streams and steps; default: the standard ones. A function is called
   * when the first module, step or trigger is created, so loading connector packages delays
   * neither the handshake nor the host's plugin load.
   */
  env?: Environment | (() => Promise<Environment>)
  processEnv?: NodeJS.ProcessEnv
  /** default: readEventPermissions(processEnv) */
  events?: EventPermissions
  /**
   * the plugin's install dir, checked for other plugins providing the same types; default:
   * ownPluginDir(); null: no check
   */
  pluginDir?: string | null
}

/**
 * The plugin's event permissions: `events` in the plugin.json beside the executable (what the
 * host installed), overridden by `events` in the YAML or JSON file BENTO_PLUGIN_CONFIG names.
 * Throws naming the file and the field when either is wrong.
 */
export function readEventPermissions(
  processEnv: NodeJS.ProcessEnv = process.env,
  manifestPath = join(dirname(process.execPath), 'plugin.json'),
): EventPermissions {
  let events: EventPermissions = {}
  if (existsSync(manifestPath)) {
    const manifest = readDocument(manifestPath)
    events = parseEventPermissions(manifest.events, manifestPath)
  }
  const configPath = processEnv.BENTO_PLUGIN_CONFIG
  if (configPath !== undefined && configPath !== '') {
    const config = readDocument(configPath)
    if (config.events !== undefined) events = parseEventPermissions(config.events, configPath)
  }
  return events
}

function readDocument(path: string): Record<string, unknown> {
  let doc: unknown
  try {
    doc = parseYaml(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`)
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`${path}: expected a map`)
  return doc as Record<string, unknown>
}

/** Serves workflow-plugin-bento to a workflow host until it asks the plugin to shut down. */
export async function serveWorkflowPlugin(options: WorkflowPluginOptions): Promise<PluginServer | undefined> {
  const logger = createPluginLogger({
    level: options.processEnv?.BENTO_PLUGIN_LOG_LEVEL ?? process.env.BENTO_PLUGIN_LOG_LEVEL ?? 'info',
    fields: { '@module': 'bento' },
  })
  const processEnv = options.processEnv ?? process.env
  if (processEnv[workflowHandshake.magicCookieKey] === workflowHandshake.magicCookieValue) {
    const ownDir = options.pluginDir === undefined ? ownPluginDir() : (options.pluginDir ?? undefined)
    const conflicts =
      ownDir === undefined ? [] : conflictingPlugins(ownDir, [...moduleTypes, ...stepTypes, ...triggerTypes])
    if (ownDir !== undefined && conflicts.length > 0) {
      // stderr is what the host logs for a plugin that exits before its handshake
      process.stderr.write(`${conflictMessage(ownDir, conflicts)}\n`)
      process.exitCode = 1
      return undefined
    }
  }
  const env = options.env ?? standardEnvironment()
  const plugin = new BentoPlugin({
    manifest: options.manifest,
    env,
    logger,
    events: options.events ?? readEventPermissions(options.processEnv ?? process.env),
  })
  return servePlugin({
    handshake: workflowHandshake,
    logger,
    ...(options.processEnv === undefined ? {} : { env: options.processEnv }),
    register: (server, broker) => plugin.register(server, broker),
    onShutdown: () => plugin.stopAll(),
  })
}
