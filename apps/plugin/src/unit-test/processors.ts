// The processors a test case runs: the ones a JSON pointer (or resource label) names in the
// config, with the case's mocks put in their place, built with the config's resources; or a
// Bloblang file run as a `bloblang` processor.
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { parse } from '@bento-ts/bloblang'
import {
  applyMapping,
  ConfigError,
  clipFinalBlockScalar,
  createBuilder,
  createMetrics,
  type Environment,
  formatProblem,
  type Logger,
  loadResources,
  type ParsedComponent,
  type Processor,
  parseComponentValue,
  parseConfig,
  type StreamConfig,
  streamFields,
  substituteEnv,
  type TestCase,
  withResources,
} from '@bento-ts/core'
import { toInput } from '@bento-ts/core/kit'
import { type Document, isMap, isScalar, isSeq, type Node, parseDocument } from 'yaml'

export interface CaseProcessors {
  processors: Processor[]
  close(): Promise<void>
}

type Segment = string | number

/** RFC 6901: `/a/b~1c/0` → ['a', 'b/c', '0']. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return []
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer '${pointer}' must start with /`)
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}

/** Segments as the YAML tree takes them: list indexes as numbers. */
function resolveSegments(doc: Document, segments: readonly string[]): Segment[] {
  const out: Segment[] = []
  let node: unknown = doc.contents
  for (const s of segments) {
    if (isSeq(node)) {
      const index = s === '-' ? node.items.length : Number(s)
      if (!Number.isInteger(index) || index < 0)
        throw new Error(`'${s}' is not an index of the list at /${out.join('/')}`)
      out.push(index)
      node = node.items[index]
    } else {
      out.push(s)
      node = isMap(node) ? node.get(s, true) : undefined
    }
  }
  return out
}

/** Paths of every labelled component (`label: x` beside a type), tests excluded. */
export function labelPaths(doc: Document): Map<string, Segment[]> {
  const out = new Map<string, Segment[]>()
  const walk = (node: unknown, path: Segment[]) => {
    if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...path, i])
    } else if (isMap(node)) {
      const label = node.get('label', true)
      if (isScalar(label) && typeof label.value === 'string' && label.value !== '' && !out.has(label.value))
        out.set(label.value, path)
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : ''
        if (path.length === 0 && key === 'tests') continue
        walk(pair.value, [...path, key])
      }
    }
  }
  walk(doc.contents, [])
  return out
}

/** Puts a mock where the target was; a mock without a label keeps the target's. */
function setMock(doc: Document, path: Segment[], mock: unknown): void {
  const node = doc.createNode(mock) as Node
  const target = path.length === 0 ? doc.contents : doc.getIn(path, true)
  if (isMap(node) && !node.has('label') && isMap(target)) {
    const label = target.get('label', true)
    if (label !== undefined) node.set('label', label)
  }
  const last = path.at(-1)
  const parent = doc.getIn(path.slice(0, -1), true)
  if (isSeq(parent) && typeof last === 'number' && last === parent.items.length) parent.add(node)
  else doc.setIn(path, node)
}

/** `other.yaml#/pipeline/processors` → that file (beside the config) and the pointer. */
function splitTarget(configPath: string, target: string): { file: string; pointer: string } {
  const hash = target.indexOf('#')
  if (hash < 0) return { file: configPath, pointer: target }
  const file = target.slice(0, hash)
  const pointer = target.slice(hash + 1)
  if (/^[a-z][a-z0-9+.-]*:/i.test(file) && !file.startsWith('file:'))
    throw new Error(`target processors '${target}' contains non-path scheme value`)
  return { file: join(dirname(configPath), file.replace(/^file:/, '')), pointer }
}

const configErrorText = (err: unknown): string =>
  err instanceof ConfigError ? err.problems.map(formatProblem).join('; ') : (err as Error).message

/** Builds the processors of one case; resources are fresh per case, as in Bento. */
export async function caseProcessors(
  testCase: TestCase,
  configPath: string,
  env: Environment,
  options: { resources: readonly string[]; logger: Logger },
): Promise<CaseProcessors> {
  if (testCase.target_mapping !== '') {
    return { processors: [mappingFile(testCase.target_mapping, configPath)], close: async () => {} }
  }
  const { file, pointer } = splitTarget(configPath, testCase.target_processors)
  if (pointer === '')
    throw new Error(
      `failed to target processors '${testCase.target_processors}': reference URI must contain a path or fragment`,
    )
  // Variables first, as Bento swaps them in the raw text: the case's environment is set by now.
  const swapped = substituteEnv(readFileSync(file, 'utf8'), process.env, file)
  if (swapped.problems.length > 0)
    throw new Error(
      `failed to parse config file '${file}': ${swapped.problems.map(formatProblem).join('; ')}`,
    )
  const doc = parseDocument(swapped.text)
  if (doc.errors.length > 0)
    throw new Error(`failed to parse config file '${file}': ${doc.errors[0]!.message}`)
  clipFinalBlockScalar(doc, swapped.text)
  const mocks = Object.entries(testCase.mocks ?? {})
  let labels: Map<string, Segment[]> | undefined
  for (const [key, mock] of mocks) {
    if (!key.startsWith('/')) continue
    setMock(doc, resolveSegments(doc, pointerSegments(key)), mock)
  }
  for (const [key, mock] of mocks) {
    if (key.startsWith('/')) continue
    labels ??= labelPaths(doc)
    const path = labels.get(key)
    if (path === undefined)
      throw new Error(
        `mock for label '${key}' could not be applied as the label was not found in the test target file, it is not currently possible to mock resources imported separate to the test file`,
      )
    setMock(doc, path, mock)
  }
  let targetPath: Segment[]
  if (pointer.startsWith('/')) targetPath = resolveSegments(doc, pointerSegments(pointer))
  else {
    labels ??= labelPaths(doc)
    const path = labels.get(pointer)
    if (path === undefined)
      throw new Error(
        `target for label '${pointer}' failed as the label was not found in the test target file, it is not currently possible to target resources imported separate to the test file`,
      )
    targetPath = path
  }
  // Mocks are taken as written (Bento does not swap variables in them).
  const parsed = parseConfig(doc.toString(), streamFields, env, { file, vars: {}, skipEnvVarCheck: true })
  if (parsed.problems.length > 0)
    throw new Error(`failed to parse config file '${file}': ${parsed.problems.map(formatProblem).join('; ')}`)
  let config = parsed.config as unknown as StreamConfig
  try {
    const extra = options.resources.map((r) => loadResources(readFileSync(r, 'utf8'), env, { file: r }))
    config = withResources(config, extra)
  } catch (err) {
    throw new Error(`failed to parse resources config file: ${configErrorText(err)}`)
  }
  // Inputs and outputs are never run by a test.
  config = { ...config, input_resources: [], output_resources: [] }

  const node = targetPath.length === 0 ? doc.contents : doc.getIn(targetPath, true)
  if (node === undefined || node === null)
    throw new Error(`failed to resolve case processors from '${file}': ${pointer} does not exist`)
  const dotted = targetPath.join('.')
  const values = isSeq(node)
    ? node.items.map((item, i) => ({ value: (item as Node).toJSON(), path: `${dotted}.${i}` }))
    : [{ value: (node as Node).toJSON(), path: dotted }]
  const components: ParsedComponent[] = []
  for (const { value, path } of values) {
    const { component, problems } = parseComponentValue('processor', value, env, path)
    if (component === undefined || problems.length > 0)
      throw new Error(
        `failed to resolve case processors from '${file}': ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      )
    components.push(component)
  }
  const built = createBuilder(env, options.logger, createMetrics(), config)
  try {
    return { processors: await built.builder.processors(components), close: () => built.close() }
  } catch (err) {
    await built.close()
    throw err
  }
}

/** `target_mapping`: the file's mapping as a processor; a failed message keeps its content, flagged. */
function mappingFile(path: string, configPath: string): Processor {
  const file = isAbsolute(path) ? path : join(dirname(configPath), path)
  const executor = parse(readFileSync(file, 'utf8'), { importDir: dirname(file) })
  return {
    process(batch) {
      const inputs = batch.map(toInput)
      const out = []
      for (let i = 0; i < batch.length; i++) {
        const message = batch[i]!
        try {
          const next = applyMapping(executor, inputs[i]!, batch.length > 1 ? { batch: inputs, index: i } : {})
          if (next === undefined) continue
          next.error = message.error
          out.push(next)
        } catch (err) {
          const failed = message.copy()
          failed.error = err as Error
          out.push(failed)
        }
      }
      return out.length === 0 ? [] : [out]
    },
  }
}
