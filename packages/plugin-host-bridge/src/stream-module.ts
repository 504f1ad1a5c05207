// `bento.stream`: the module config is a whole Bento stream config, run for the module's lifetime
// by the same ModuleStream as the other module types (logging, credential masking, draining).
import type { Logger, StreamConfig } from '@bento-ts/core'
import type { JsonObject } from '@bufbuild/protobuf'
import { addConfigSecrets } from './bridge/secrets.ts'
import type { HostContext, ModuleHandle } from './context.ts'
import { checkStream, errorText, ModuleStream, withoutInternalKeys } from './messaging.ts'

export class StreamModule implements ModuleHandle {
  readonly name: string
  readonly #config: JsonObject
  readonly #ctx: HostContext
  readonly #logger: Logger
  readonly #stream: ModuleStream
  #checked: StreamConfig | undefined

  constructor(name: string, config: JsonObject | undefined, ctx: HostContext) {
    this.name = name
    this.#config = withoutInternalKeys(config)
    this.#ctx = ctx
    const fields = { module: name, type: 'bento.stream' }
    this.#logger = ctx.logger.child(fields)
    this.#stream = new ModuleStream(this.#logger, fields)
  }

  #fail(message: string): Error {
    return new Error(`bento.stream "${this.name}": ${message}`)
  }

  /** Checks the config: empty, no input or output, unknown components, bad fields. */
  init(): void {
    const c = this.#config
    if (Object.keys(c).length === 0) throw this.#fail('configuration is empty')
    addConfigSecrets(c, this.#ctx.env)
    const missing = ['input', 'output'].filter((k) => c[k] === undefined || c[k] === null)
    if (missing.length > 0) {
      throw this.#fail(
        `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required (a plugin has no usable stdin/stdout)`,
      )
    }
    try {
      this.#checked = checkStream(c, this.#ctx.env)
    } catch (err) {
      throw this.#fail(errorText(err))
    }
  }

  /** Builds the components and starts the stream in the background; returns once it runs. */
  async start(): Promise<void> {
    if (this.#stream.running) return
    if (this.#checked === undefined) this.init()
    const config = this.#checked!
    try {
      await this.#stream.start(config, this.#ctx.env)
    } catch (err) {
      throw this.#fail(`start: ${errorText(err)}`)
    }
    this.#logger.info('stream started', { input: config.input.type, output: config.output.type })
  }

  /** Stops the stream, draining in-flight messages within its shutdown_timeout (at most 10 s). */
  async stop(): Promise<void> {
    if (!this.#stream.running) return
    try {
      await this.#stream.stop()
    } catch (err) {
      throw this.#fail(`stop: ${errorText(err)}`)
    }
    this.#logger.info('stream stopped')
  }
}
