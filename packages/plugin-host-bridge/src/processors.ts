// Building and running a chain of Bento processors outside a stream, for `step.bento`.
import {
  type Batch,
  type Builder,
  type ComponentContext,
  type ConfigProblem,
  type Environment,
  findPlugin,
  type Logger,
  type Metrics,
  type ParsedComponent,
  type Processor,
  parseComponentValue,
  type Resources,
} from '@bento-ts/core'
import { parse as parseYaml } from 'yaml'

/** A config problem without a file position (configs arrive as data, not as text). */
export class ProcessorConfigError extends Error {
  readonly problems: readonly { path: string; message: string }[]
  constructor(problems: readonly { path: string; message: string }[]) {
    super(problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('; '))
    this.name = 'ProcessorConfigError'
    this.problems = problems
  }
}

/**
 * Turns a `processors` value into a list of processor configs: a YAML string (one processor, or a
 * list of them), a map (one processor) or a list. null/absent: no processors (pass-through).
 */
export function processorList(value: unknown, field = 'processors'): unknown[] {
  if (value === undefined || value === null) return []
  let v = value
  if (typeof v === 'string') {
    if (v.trim() === '') return []
    try {
      v = parseYaml(v)
    } catch (err) {
      const first = (err as Error).message.split('\n')[0]
      throw new ProcessorConfigError([{ path: field, message: `invalid YAML: ${first}` }])
    }
    if (v === null || v === undefined) return []
    if (typeof v !== 'object') {
      throw new ProcessorConfigError([
        {
          path: field,
          message: `expected a processor (e.g. "mapping: 'root = this'") or a list of them, got the ${typeof v} ${JSON.stringify(v)}`,
        },
      ])
    }
  }
  if (Array.isArray(v)) return v
  if (typeof v === 'object') return [v]
  throw new ProcessorConfigError([
    {
      path: field,
      message: `must be a YAML string, a map (one processor) or a list of processors, got ${describe(v)}`,
    },
  ])
}

function describe(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return `the ${typeof v} ${String(v)}`
  return typeof v
}

/** Parses processor configs against the environment's specs; every problem found is reported. */
export function parseProcessors(
  list: readonly unknown[],
  env: Environment,
  field = 'processors',
): ParsedComponent[] {
  const parsed: ParsedComponent[] = []
  const problems: ConfigProblem[] = []
  list.forEach((item, i) => {
    const result = parseComponentValue('processor', item, env, `${field}.${i}`)
    problems.push(...result.problems)
    if (result.component !== undefined) parsed.push(result.component)
  })
  if (problems.length > 0) throw new ProcessorConfigError(problems)
  return parsed
}

/** What a processor built outside a stream may not use: named resources (there are none). */
function noResources(): Resources {
  const none = (kind: string) => (label: string) => {
    throw new Error(`${kind} resource "${label}" is not available: step.bento has no resources`)
  }
  return {
    cache: none('cache'),
    rateLimit: none('rate_limit'),
    processor: none('processor'),
    input: none('input'),
    output: none('output'),
    hasCache: () => false,
  }
}

/** Creates processors (and those nested in them) from parsed configs, with no resources. */
export async function buildProcessors(
  parsed: readonly ParsedComponent[],
  env: Environment,
  logger: Logger,
  metrics: Metrics,
): Promise<Processor[]> {
  const resources = noResources()
  const create = async (p: ParsedComponent): Promise<Processor> => {
    const plugin = findPlugin(env, 'processor', p.type)
    if (plugin === undefined) throw new Error(`${p.path}: unknown processor type "${p.type}"`)
    const label = p.label !== '' ? p.label : p.path
    const context: ComponentContext = {
      label,
      path: p.path,
      logger: logger.child({ label, path: p.path }),
      metrics,
      resources,
      build: builder,
    }
    try {
      return (await plugin.create(p.config, context)) as Processor
    } catch (err) {
      throw new Error(`${p.path}: ${(err as Error).message}`, { cause: err })
    }
  }
  const builder: Builder = {
    input: async () => {
      throw new Error('inputs cannot be built inside step.bento')
    },
    output: async () => {
      throw new Error('outputs cannot be built inside step.bento')
    },
    processors: (list) => Promise.all(list.map(create)),
  }
  return builder.processors(parsed)
}

/** Runs a batch through processors in order; returns the non-empty batches that came out. */
export async function runChain(processors: readonly Processor[], batch: Batch): Promise<Batch[]> {
  let batches: Batch[] = [batch]
  for (const processor of processors) {
    const next: Batch[] = []
    for (const b of batches) {
      const produced = await processor.process(b)
      for (const p of produced) if (p.length > 0) next.push(p)
    }
    batches = next
    if (batches.length === 0) break
  }
  return batches
}
