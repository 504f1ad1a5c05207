// The context a component gets from the stream runtime, for a test that builds one directly
// (`await sqsInput(config, await componentContext(import.meta.url))`).
import { connectorRuntime } from './runtime.ts'

export interface ContextOptions {
  /** the component's label and config path (default `test`) */
  label?: string
  /** a logger at this level (default: silent) */
  logLevel?: string
}

/**
 * A component context of the package containing `from` (pass the test file's `import.meta.url`):
 * its environment with the package's components registered, fresh metrics, no resources
 * declared. `C` is core's ComponentContext for a caller that has core's types; this package has
 * not (see runtime.ts).
 */
export async function componentContext<C extends object = object>(
  from: string,
  options: ContextOptions = {},
): Promise<C> {
  const { core, environment } = await connectorRuntime(from)
  const label = options.label ?? 'test'
  const logger =
    options.logLevel === undefined ? core.silentLogger : core.createLogger({ level: options.logLevel })
  const metrics = core.createMetrics()
  const { builder, resources } = core.createBuilder(environment(), logger, metrics, {})
  const context = {
    label,
    path: label,
    logger,
    metrics,
    resources,
    build: builder,
    signal: new AbortController().signal,
  }
  return context as unknown as C
}
