// Building and running a chain of Bento processors outside a stream, for `step.bento`.
import {
  type ConfigProblem,
  createBuilder,
  type Environment,
  type Logger,
  type Metrics,
  type ParsedComponent,
  type Processor,
  parseComponentValue,
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

/**
 * Creates processors (and those nested in them) from parsed configs with core's builder. A step
 * declares no resources, so a processor naming one fails with core's "not declared" error.
 */
export async function buildProcessors(
  parsed: readonly ParsedComponent[],
  env: Environment,
  logger: Logger,
  metrics: Metrics,
): Promise<Processor[]> {
  return createBuilder(env, logger, metrics, {}).builder.processors(parsed)
}
