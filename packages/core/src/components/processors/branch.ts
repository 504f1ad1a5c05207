import { DELETE, type Executor, NOTHING, parse } from '@bento-ts/bloblang'
import type { ComponentContext, ParsedComponent, Plugin, Processor } from '../../component.ts'
import type { Logger } from '../../logger.ts'
import { type Batch, Message } from '../../message.ts'
import { field } from '../../spec.ts'
import { BatchView, closeAll, errorOf, fail, mapOnto, runAll, setRoot, toInput, wrapError } from './util.ts'

export interface BranchConfig {
  request_map: string
  processors: ParsedComponent[]
  result_map: string
}

/** The fields of a branch, shared with the `branches` of a workflow. */
export const branchFields = [
  field.bloblang('request_map', {
    default: '',
    description:
      'A Bloblang mapping that creates the request payload for the child processors. Empty: the branch starts with an exact copy of the origin message (including metadata).',
    examples: ['root = {\n\t"id": this.doc.id,\n\t"content": this.doc.body.text\n}'],
  }),
  field.array('processors', 'processor', {
    description:
      'Processors to apply to the mapped requests. The result must keep the size and order of the request batch, so no filtering or grouping here.',
  }),
  field.bloblang('result_map', {
    default: '',
    description:
      'A Bloblang mapping that maps the branch result back into the origin message: `this`/`metadata()` read the result, `root`/`@` the origin. Empty: the origin stays unchanged.',
    examples: ['meta foo_code = metadata("code")\nroot.foo_result = this'],
  }),
] as const

export interface BranchMapError {
  index: number
  error: Error
}

type Path = string[]

const identifier = /^[A-Za-z0-9_]+$/

function splitPath(text: string): Path {
  return text
    .split('.')
    .filter((s) => s !== '')
    .map((s) => s.replace(/^"|"$/g, ''))
}

/**
 * The paths a request mapping reads (`this.a.b` → [path, a, b], `@k`/`metadata("k")` →
 * [metadata, k]). A textual approximation of Bento's query targets, used only to order the
 * branches of a workflow that has no explicit `order`.
 */
export function targetsUsed(mapping: string): Path[] {
  const out: Path[] = []
  for (const m of mapping.matchAll(/\bthis((?:\.(?:[A-Za-z0-9_]+|"[^"]*"))*)/g)) {
    out.push(['path', ...splitPath(m[1] ?? '')])
  }
  for (const m of mapping.matchAll(/@([A-Za-z0-9_]*)|\bmeta(?:data)?\(\s*"([^"]*)"\s*\)/g)) {
    const key = m[1] ?? m[2] ?? ''
    out.push(key === '' ? ['metadata'] : ['metadata', key])
  }
  return out
}

/** The paths a result mapping assigns (`root.a = …` → [path, a], `meta k = …` → [metadata, k]). */
export function targetsProvided(mapping: string): Path[] {
  const out: Path[] = []
  for (const raw of mapping.split('\n')) {
    const line = raw.trim()
    const meta = /^meta(?:\s+("[^"]*"|[A-Za-z0-9_]+))?\s*=(?!=)/.exec(line)
    if (meta !== null) {
      const key = meta[1]?.replace(/^"|"$/g, '')
      out.push(key === undefined ? ['metadata'] : ['metadata', key])
      continue
    }
    const assign = /^(root|this)?((?:\.?(?:[A-Za-z0-9_]+|"[^"]*"))*)\s*=(?!=)/.exec(line)
    if (assign === null) continue
    if (/^(let|map|import|if|else|match)\b/.test(line)) continue
    const segs = splitPath(assign[2] ?? '')
    if (assign[1] === undefined && (segs.length === 0 || !identifier.test(segs[0]!))) continue
    out.push(['path', ...segs])
  }
  return out
}

/**
 * Bento's branch: map a request from each message, run the children on the requests, map the
 * results back onto the origin messages. Also the unit a workflow runs.
 */
export class Branch implements Processor {
  readonly requestSource: string
  readonly resultSource: string
  readonly #requestMap: Executor | undefined
  readonly #resultMap: Executor | undefined
  readonly #children: Processor[]
  readonly #logger: Logger

  constructor(config: BranchConfig, children: Processor[], logger: Logger) {
    if (children.length === 0) throw new Error('the branch processor requires at least one child processor')
    this.requestSource = config.request_map
    this.resultSource = config.result_map
    this.#children = children
    this.#logger = logger
    try {
      this.#requestMap = config.request_map === '' ? undefined : parse(config.request_map)
    } catch (err) {
      throw wrapError('failed to parse request mapping', err)
    }
    try {
      this.#resultMap = config.result_map === '' ? undefined : parse(config.result_map)
    } catch (err) {
      throw wrapError('failed to parse result mapping', err)
    }
  }

  static async create(config: BranchConfig, context: ComponentContext): Promise<Branch> {
    return new Branch(config, await context.build.processors(config.processors ?? []), context.logger)
  }

  targetsUsed(): Path[] {
    return this.requestSource === '' ? [] : targetsUsed(this.requestSource)
  }

  targetsProvided(): Path[] {
    return this.resultSource === '' ? [] : targetsProvided(this.resultSource)
  }

  async process(batch: Batch): Promise<Batch[]> {
    const parts = batch.map((m) => {
      const c = m.copy()
      c.error = undefined
      return c
    })
    const created = await this.createResult(parts, batch)
    if (created.error !== undefined) {
      for (const m of batch) fail(m, created.error)
      for (const e of created.mapErrors) fail(batch[e.index]!, e.error)
      return [batch]
    }
    for (const e of created.mapErrors) {
      fail(batch[e.index]!, e.error)
      this.#logger.error(`Branch error: ${e.error.message}`)
    }
    const overlaid = this.overlayResult(batch, created.results)
    if (overlaid.error !== undefined) {
      for (const m of batch) fail(m, overlaid.error)
      return [batch]
    }
    for (const e of overlaid.mapErrors) {
      fail(batch[e.index]!, e.error)
      this.#logger.error(`Branch error: ${e.error.message}`)
    }
    return [batch]
  }

  /**
   * Runs the request map and the children. `parts[i]` undefined: skip message i. The results
   * line up with `parts`: undefined where skipped or failed.
   */
  async createResult(
    parts: readonly (Message | undefined)[],
    reference: Batch,
  ): Promise<{ results: (Message | undefined)[]; mapErrors: BranchMapError[]; error?: Error }> {
    const mapErrors: BranchMapError[] = []
    const missing = new Set<number>()
    const requests: Message[] = []
    const view = new BatchView(reference)
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]
      if (part === undefined) {
        missing.add(i)
        continue
      }
      if (this.#requestMap === undefined) {
        requests.push(part)
        continue
      }
      try {
        const { value, metadata } = this.#requestMap.applyRaw(view.input(i), view.options(i))
        if (value === DELETE) {
          missing.add(i)
          continue
        }
        const request = new Message(new Uint8Array(0), metadata)
        if (value !== NOTHING) setRoot(request, value)
        requests.push(request)
      } catch (err) {
        this.#logger.debug(`Failed to map request '${i}': ${errorOf(err).message}`)
        missing.add(i)
        mapErrors.push({ index: i, error: wrapError('request mapping failed', err) })
      }
    }

    let produced: Message[] = []
    if (requests.length > 0) {
      let error: Error | undefined
      try {
        const out = await runAll(this.#children, [requests])
        if (out.length === 0) error = new Error('child processors resulted in zero messages')
        produced = out.flat()
      } catch (err) {
        error = new Error(`child processors failed: ${errorOf(err).message}`, { cause: err })
      }
      if (error !== undefined) {
        this.#logger.error(`Child processors failed: ${error.message}`)
        return { results: [], mapErrors, error }
      }
    }

    if (produced.length + missing.size !== parts.length) {
      const error = new Error(
        `message count from branch processors does not match request, started with ${produced.length + missing.size} messages, finished with ${parts.length}`,
      )
      this.#logger.error(
        `Failed to align branch result: ${error.message}. Avoid using filters or archive/unarchive processors within your branch, or anything that increases or reduces the number of messages. These processors should instead be applied before or after the branch processor.`,
      )
      return { results: [], mapErrors, error }
    }
    const results: (Message | undefined)[] = Array.from({ length: parts.length }, () => undefined)
    let next = 0
    for (let i = 0; i < parts.length; i++) {
      if (missing.has(i)) continue
      const result = produced[next++]!
      if (result.error !== undefined) {
        mapErrors.push({ index: i, error: wrapError('processors failed', result.error) })
        continue
      }
      results[i] = result
    }
    return { results, mapErrors }
  }

  /** Maps results back onto the origin messages (in place). */
  overlayResult(
    payload: Batch,
    results: readonly (Message | undefined)[],
  ): { mapErrors: BranchMapError[]; error?: Error } {
    if (payload.length !== results.length) {
      return {
        mapErrors: [],
        error: new Error(
          `message count returned from branch has diverged from the request, started with ${results.length} messages, finished with ${payload.length}`,
        ),
      }
    }
    const mapErrors: BranchMapError[] = []
    if (this.#resultMap === undefined) return { mapErrors }
    const reference = Array.from({ length: results.length }, (_, i) => toInput(results[i] ?? payload[i]!))
    for (let i = 0; i < results.length; i++) {
      if (results[i] === undefined) continue
      const origin = payload[i]!
      try {
        const { value, metadata } = mapOnto(this.#resultMap, origin, reference, i)
        if (value === DELETE) continue
        origin.metadata = metadata
        if (value !== NOTHING) setRoot(origin, value)
      } catch (err) {
        this.#logger.debug(`Failed to map result '${i}': ${errorOf(err).message}`)
        mapErrors.push({ index: i, error: wrapError('result mapping failed', err) })
      }
    }
    return { mapErrors }
  }

  close(): Promise<void> {
    return closeAll(this.#children)
  }
}

export const branchProcessor: Plugin<'processor'> = {
  spec: {
    name: 'branch',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'Creates a request message with a Bloblang mapping, runs processors on it, and maps the result back into the source message with another mapping.',
    description:
      'If the request_map fails the child processors are not run; if the children fail the result_map is not run; if the result_map fails the message is unchanged. In each case the message is flagged as failed. A request_map that sets the root to deleted() skips the branch for that message.',
    fields: branchFields,
  },
  create: (config: BranchConfig, context) => Branch.create(config, context),
}
