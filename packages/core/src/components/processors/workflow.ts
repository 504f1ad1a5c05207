import type { Value } from '@bento-ts/bloblang'
import { type ComponentContext, type Plugin, type Processor, unwrapProcessor } from '../../component.ts'
import type { Batch, Message } from '../../message.ts'
import { field } from '../../spec.ts'
import { Branch, type BranchConfig, branchFields } from './branch.ts'
import { closeAll, errorOf, fail } from './util.ts'

interface WorkflowConfig {
  meta_path: string
  order: unknown[][]
  branch_resources: string[]
  branches: Record<string, BranchConfig>
}

type Path = string[]

/** Whether `wanted` starts with `provided` (Bento's depHasPrefix). */
function hasPrefix(wanted: Path, provided: Path): boolean {
  if (wanted.length < provided.length) return false
  return provided.every((s, i) => wanted[i] === s)
}

/**
 * Orders branches in tiers: a branch runs after every branch whose result map provides a path its
 * request map reads. Tiers are sorted by name, so the order is stable.
 */
export function resolveDag(branches: ReadonlyMap<string, Branch>): string[][] {
  const deps = new Map<string, Set<string>>()
  for (const [id, b] of branches) {
    const wanted = b.targetsUsed()
    const mine = new Set<string>()
    for (const [other, ob] of branches) {
      if (other === id) continue
      if (ob.targetsProvided().some((tp) => wanted.some((tn) => hasPrefix(tn, tp)))) mine.add(other)
    }
    deps.set(id, mine)
  }
  const layers: string[][] = []
  const done = new Set<string>()
  while (done.size < deps.size) {
    const layer = [...deps.keys()].filter(
      (id) => !done.has(id) && [...deps.get(id)!].every((d) => done.has(d)),
    )
    if (layer.length === 0) {
      const left = [...deps.keys()].filter((id) => !done.has(id)).sort()
      throw new Error(
        `failed to automatically resolve DAG, circular dependencies detected for branches: [${left.join(' ')}]`,
      )
    }
    layer.sort()
    for (const id of layer) done.add(id)
    layers.push(layer)
  }
  return layers
}

function verifyOrder(order: string[][], names: Iterable<string>): void {
  const remaining = new Set(names)
  const seen = new Set<string>()
  order.forEach((tier, i) => {
    if (tier.length === 0) throw new Error(`explicit order tier '${i}' was empty`)
    for (const t of tier) {
      if (seen.has(t)) throw new Error(`branch specified in order listed multiple times: ${t}`)
      seen.add(t)
      remaining.delete(t)
    }
  })
  if (remaining.size > 0)
    throw new Error(`the following branches were missing from order: [${[...remaining].join(' ')}]`)
}

class RunRecord {
  readonly succeeded: Set<string>
  readonly skipped = new Set<string>()
  readonly failed = new Map<string, string>()
  constructor(dag: string[][]) {
    this.succeeded = new Set(dag.flat())
  }
  skip(id: string): void {
    this.succeeded.delete(id)
    this.skipped.add(id)
  }
  fail(id: string, why: string): void {
    this.succeeded.delete(id)
    this.skipped.delete(id)
    this.failed.set(id, why)
  }
  toObject(): { [k: string]: Value } {
    const out: { [k: string]: Value } = {}
    if (this.failed.size > 0) {
      const failed: { [k: string]: Value } = {}
      for (const k of [...this.failed.keys()].sort()) failed[k] = this.failed.get(k)!
      out.failed = failed
    }
    if (this.skipped.size > 0) out.skipped = [...this.skipped].sort()
    if (this.succeeded.size > 0) out.succeeded = [...this.succeeded].sort()
    return out
  }
}

const isObject = (v: unknown): v is { [k: string]: Value } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype

function getPath(root: Value, path: Path): Value | undefined {
  let cur: Value | undefined = root
  for (const seg of path) {
    if (!isObject(cur)) return undefined
    cur = cur[seg]
  }
  return cur
}

/** Sets a value at a path of objects, creating them; false when a non-object is in the way. */
function setPath(root: Value, path: Path, value: Value): boolean {
  if (!isObject(root)) return false
  let cur = root
  for (const seg of path.slice(0, -1)) {
    const next = cur[seg]
    if (next === undefined || next === null) cur[seg] = {}
    else if (!isObject(next)) return false
    cur = cur[seg] as { [k: string]: Value }
  }
  cur[path[path.length - 1]!] = value
  return true
}

/** Go's gabs.DotPathToSlice: `a.b~1c` → [a, b.c]. */
const dotPath = (text: string): Path => text.split('.').map((s) => s.replace(/~1/g, '.').replace(/~0/g, '~'))

export const workflowProcessor: Plugin<'processor'> = {
  spec: {
    name: 'workflow',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary: 'Executes a topology of branch processors, performing them in parallel where possible.',
    description:
      'Branches run in tiers: `order` gives them explicitly; otherwise they are ordered by which result maps provide what request maps read. A record `{"succeeded":[…],"skipped":[…],"failed":{name: error}}` is stored at `meta_path` in each message (the previous record under `previous`); `<meta_path>.apply` lists the only branches to run, and branches that succeeded on an earlier run are skipped. Without a meta_path, a message whose branches failed is flagged `workflow branches failed: [names]`.',
    fields: [
      field.string('meta_path', {
        default: 'meta.workflow',
        description:
          'A dot path indicating where to store and reference structured metadata about the workflow execution.',
      }),
      field.array('order', 'array', {
        default: [],
        description:
          "An explicit declaration of branch ordered tiers, which describes the order in which parallel tiers of branches should be executed. Branches should be identified by the name as they are configured in the field `branches`. It's also possible to specify branch processors configured as a resource.",
        examples: [
          [['foo', 'bar'], ['baz']],
          [['foo'], ['bar'], ['baz']],
        ],
      }),
      field.array('branch_resources', 'string', {
        default: [],
        advanced: true,
        resource: 'processor',
        description:
          'An optional list of `branch` processor names that are configured as resources. These resources will be included in the workflow with any branches configured inline within the `branches` field.',
      }),
      field.map('branches', branchFields, {
        default: {},
        description: 'An object of named `branch` processors that make up the workflow.',
      }),
    ],
  },
  async create(config: WorkflowConfig, context: ComponentContext) {
    const metaPath = config.meta_path === '' ? [] : dotPath(config.meta_path)
    const order = (config.order ?? []).map((tier, i) => {
      if (!Array.isArray(tier) || tier.some((t) => typeof t !== 'string')) {
        throw new Error(`order tier '${i}' must be a list of branch names`)
      }
      return tier as string[]
    })
    const inline = new Map<string, Branch>()
    for (const [name, branchConfig] of Object.entries(config.branches ?? {})) {
      if (!/^[a-zA-Z0-9_-]+$/.test(name))
        throw new Error(`workflow branch name '${name}' contains invalid characters`)
      inline.set(name, await Branch.create(branchConfig, context))
    }
    const resourceNames: string[] = []
    for (const name of config.branch_resources ?? []) {
      if (inline.has(name)) throw new Error(`branch resource name '${name}' collides with an explicit branch`)
      resourceNames.push(name)
    }
    for (const tier of order) {
      for (const name of tier)
        if (!inline.has(name) && !resourceNames.includes(name)) resourceNames.push(name)
    }
    const allStages = new Set([...inline.keys(), ...resourceNames])
    let staticDag: string[][] | undefined
    if (order.length > 0) {
      verifyOrder(order, allStages)
      staticDag = order
    } else if (resourceNames.length === 0) {
      staticDag = resolveDag(inline)
      context.logger.info(
        `Automatically resolved workflow DAG: [${staticDag.map((l) => `[${l.join(' ')}]`).join(' ')}]`,
      )
    }
    const logger = context.logger

    // Branch resources are looked up on use: resources may be declared in any order.
    const lock = (): { dag: string[][]; branches: Map<string, Branch> } => {
      const branches = new Map(inline)
      for (const name of resourceNames) {
        let p: Processor | undefined
        try {
          p = unwrapProcessor(context.resources.processor(name))
        } catch {
          p = undefined
        }
        if (!(p instanceof Branch)) throw new Error(`missing branch resource: ${name}`)
        branches.set(name, p)
      }
      if (staticDag !== undefined) return { dag: staticDag, branches }
      try {
        return { dag: resolveDag(branches), branches }
      } catch (err) {
        throw new Error(`failed to resolve DAG: ${errorOf(err).message}`)
      }
    }

    const skipFromMeta = (message: Message): Set<string> => {
      const skip = new Set<string>()
      if (metaPath.length === 0) return skip
      let doc: Value
      try {
        doc = message.structured()
      } catch {
        return skip
      }
      const apply = getPath(doc, [...metaPath, 'apply'])
      if (Array.isArray(apply) && apply.length > 0) {
        for (const k of allStages) skip.add(k)
        for (const id of apply) if (typeof id === 'string') skip.delete(id)
      }
      for (const key of ['succeeded', 'skipped']) {
        const list = getPath(doc, [...metaPath, key])
        if (Array.isArray(list))
          for (const id of list) if (typeof id === 'string' && allStages.has(id)) skip.add(id)
      }
      return skip
    }

    return {
      async process(batch: Batch): Promise<Batch[]> {
        let dag: string[][]
        let branches: Map<string, Branch>
        try {
          ;({ dag, branches } = lock())
        } catch (err) {
          logger.error(`Failed to establish workflow: ${errorOf(err).message}`)
          for (const m of batch) fail(m, err)
          return [batch]
        }
        const skips = batch.map(skipFromMeta)
        const records = batch.map(() => new RunRecord(dag))
        for (const layer of dag) {
          const created = await Promise.all(
            layer.map(async (id) => {
              const parts = batch.map((m, i) => {
                if (skips[i]!.has(id)) return undefined
                const c = m.copy()
                c.error = undefined
                return c
              })
              const result = await branches.get(id)!.createResult(parts, batch)
              if (result.error === undefined) {
                for (let j = 0; j < batch.length; j++)
                  if (result.results[j] === undefined) records[j]!.skip(id)
              }
              for (const e of result.mapErrors) records[e.index]!.fail(id, e.error.message)
              return result
            }),
          )
          layer.forEach((id, i) => {
            const result = created[i]!
            let error = result.error
            let failed: { index: number; error: Error }[] = []
            if (error === undefined) {
              const overlaid = branches.get(id)!.overlayResult(batch, result.results)
              error = overlaid.error
              failed = overlaid.mapErrors
            }
            if (error !== undefined) {
              logger.error(`Failed to perform enrichment '${id}': ${error.message}`)
              for (const r of records) r.fail(id, error.message)
              return
            }
            for (const e of failed) records[e.index]!.fail(id, e.error.message)
          })
        }
        if (metaPath.length > 0) {
          batch.forEach((m, i) => {
            let doc: Value
            try {
              // a fresh tree, changed in place below
              doc = structuredCopy(m)
            } catch (err) {
              logger.error(`Failed to parse message for meta update: ${errorOf(err).message}`)
              fail(m, err)
              return
            }
            const previous = getPath(doc, metaPath)
            const current = records[i]!.toObject()
            if (previous !== undefined && previous !== null) current.previous = previous
            if (setPath(doc, metaPath, current)) m.setStructured(doc)
          })
        } else {
          batch.forEach((m, i) => {
            const failed = [...records[i]!.failed.keys()].sort()
            if (failed.length > 0) fail(m, new Error(`workflow branches failed: [${failed.join(' ')}]`))
          })
        }
        return [batch]
      },
      close: () => closeAll([...inline.values()]),
    }
  },
}

function structuredCopy(m: Message): Value {
  // re-read from bytes: the structured value may be shared with copies of the message
  const copy = m.copy()
  copy.setBytes(m.bytes())
  return copy.structured()
}
