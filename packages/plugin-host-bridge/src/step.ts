// `step.bento`: runs the pipeline's current data through Bento processors.
import {
  type Environment,
  type Logger,
  Message,
  type Metrics,
  type Processor,
  runProcessors,
} from '@bento-ts/core'
import type { JsonObject, JsonValue } from '@bufbuild/protobuf'
import { addConfigSecrets } from './bridge/secrets.ts'
import { buildProcessors, ProcessorConfigError, parseProcessors, processorList } from './processors.ts'

export interface StepInput {
  triggerData?: JsonObject | undefined
  current?: JsonObject | undefined
  /** the step config with templates resolved for this execution */
  config?: JsonObject | undefined
}

export interface StepResult {
  output: JsonObject
}

/** Configs seen per step, beyond the one it was created with (templated configs vary per run). */
const maxCachedChains = 16

export class BentoStep {
  readonly name: string
  readonly #env: Environment
  readonly #logger: Logger
  readonly #metrics: Metrics
  readonly #created: string
  readonly #chains = new Map<string, Promise<Processor[]>>()

  private constructor(name: string, env: Environment, logger: Logger, metrics: Metrics, created: string) {
    this.name = name
    this.#env = env
    this.#logger = logger
    this.#metrics = metrics
    this.#created = created
  }

  /** Checks and builds the processors of a step config; throws a message naming the step and field. */
  static async create(
    name: string,
    config: JsonObject | undefined,
    env: Environment,
    logger: Logger,
    metrics: Metrics,
  ): Promise<BentoStep> {
    const key = keyOf(config?.processors)
    const step = new BentoStep(name, env, logger.child({ step: name }), metrics, key)
    await step.#chain(config?.processors, key)
    return step
  }

  #fail(err: unknown): Error {
    const message = err instanceof Error ? err.message : String(err)
    return new Error(`step.bento "${this.name}": ${message}`, { cause: err })
  }

  #chain(value: JsonValue | undefined, key: string): Promise<Processor[]> {
    let chain = this.#chains.get(key)
    if (chain === undefined) {
      chain = (async () => {
        const list = processorList(value)
        addConfigSecrets(list, this.#env)
        const parsed = parseProcessors(list, this.#env)
        return buildProcessors(parsed, this.#env, this.#logger, this.#metrics)
      })().catch((err: unknown) => {
        this.#chains.delete(key)
        throw this.#fail(err)
      })
      if (key !== this.#created && this.#chains.size > maxCachedChains) {
        // Forget the oldest templated variant; the created one stays.
        for (const k of this.#chains.keys()) {
          if (k !== this.#created) {
            this.#chains.delete(k)
            break
          }
        }
      }
      this.#chains.set(key, chain)
    }
    return chain
  }

  /**
   * Runs `trigger_data` merged with `current` (current wins) through the processors. A message
   * dropped by a processor gives `{}`; a result that is not a JSON object gives `{"output": …}`;
   * a processor failure is an error naming the step.
   */
  async execute(input: StepInput): Promise<StepResult> {
    const processors =
      input.config !== undefined && 'processors' in input.config
        ? await this.#chain(input.config.processors, keyOf(input.config.processors))
        : await this.#chain(undefined, this.#created)
    const data: JsonObject = { ...input.triggerData, ...input.current }
    if (processors.length === 0) return { output: data }
    let out: Message[][]
    try {
      out = await runProcessors(processors, [new Message(JSON.stringify(data))])
    } catch (err) {
      throw this.#fail(err)
    }
    const first = out[0]?.[0]
    if (first === undefined) return { output: {} }
    if (first.error !== undefined) throw this.#fail(`processor failed: ${first.error.message}`)
    return { output: toOutput(first.text()) }
  }

  async close(): Promise<void> {
    const chains = [...this.#chains.values()]
    this.#chains.clear()
    for (const chain of chains) {
      const processors = await chain.catch(() => [] as Processor[])
      await Promise.allSettled(processors.map((p) => p.close?.()))
    }
  }
}

/** The step output: the result's JSON object, or `{"output": <JSON value, or the raw text>}`. */
export function toOutput(text: string): JsonObject {
  let value: JsonValue
  try {
    value = JSON.parse(text) as JsonValue
  } catch {
    return { output: text }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value
  return { output: value }
}

function keyOf(value: JsonValue | undefined): string {
  return value === undefined ? 'undefined' : JSON.stringify(value)
}

export { ProcessorConfigError }
