import { createInterface } from 'node:readline'
import {
  BloblangParseError,
  DELETE,
  type Executor,
  encodeJSON,
  encodeJSONIndent,
  NOTHING,
  parse,
  parseJSON,
  type Value,
} from '@bento-ts/bloblang'

export interface BloblOptions {
  raw: boolean
  pretty: boolean
}

const decoder = new TextDecoder()

/** The caret form Bento's CLI prints for a parse error: the message, then the line with a marker. */
export function describeParseError(mapping: string, err: BloblangParseError): string {
  const line = mapping.split('\n')[err.line - 1] ?? ''
  const gutter = String(err.line)
  const pad = ' '.repeat(gutter.length)
  return `line ${err.line} char ${err.column}: ${err.detail.replace(/, got: [\s\S]*$|, but reached end of input$/, '')}\n${pad} |\n${gutter} | ${line}\n${pad} | ${' '.repeat(Math.max(0, err.column - 1))}^---`
}

/**
 * Runs a mapping on one line the way `bento blobl` does: output metadata persists from line to
 * line, `this` is the line parsed as JSON (or the raw bytes with --raw), objects are printed as
 * HTML-escaped JSON, strings as they are, and a deleted message as an empty line.
 */
export function bloblLineRunner(executor: Executor, options: BloblOptions): (line: Uint8Array) => string {
  let metadata = new Map<string, unknown>()
  return (line) => {
    const result = runMappingOn(executor, line, metadata, options)
    metadata = result.metadata
    return result.text
  }
}

/** One run of a mapping as `bento blobl` prints it; the metadata it leaves is the next run's. */
export function runMappingOn(
  executor: Executor,
  line: Uint8Array,
  metadata: Map<string, unknown>,
  options: BloblOptions,
): { text: string; metadata: Map<string, unknown> } {
  const serialise = (value: Value) =>
    options.pretty ? encodeJSONIndent(value, '  ', true) : encodeJSON(value, true)
  const content = options.raw ? JSON.stringify(decoder.decode(line)) : line
  const { value, metadata: next, part } = executor.applyRaw({ content, metadata })
  const text = (): string => {
    if (value === DELETE) return ''
    if (typeof value === 'string') return value
    if (value instanceof Uint8Array) return decoder.decode(value)
    if (value === NOTHING) {
      try {
        return serialise(options.raw ? decoder.decode(line) : parseJSON(decoder.decode(part.bytes())))
      } catch {
        return decoder.decode(line)
      }
    }
    return serialise(value)
  }
  return { text: text(), metadata: next }
}

// Bento's CLI reports an unparseable document without the statement it failed in.
export const cliErrorText = (message: string): string =>
  message.replace(/^failed assignment \(line \d+\): (?=unable to reference message as structured)/, '')

/** `blobl [-f file | mapping]`: JSON documents on stdin, one result per line on stdout. */
export async function runBlobl(mapping: string, options: BloblOptions): Promise<number> {
  let executor: Executor
  try {
    executor = parse(mapping)
  } catch (err) {
    if (err instanceof BloblangParseError) {
      process.stderr.write(`failed to parse mapping: ${describeParseError(mapping, err)}\n`)
    } else process.stderr.write(`${(err as Error).message}\n`)
    return 1
  }
  const run = bloblLineRunner(executor, options)
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
  const encoder = new TextEncoder()
  for await (const line of lines) {
    try {
      process.stdout.write(`${run(encoder.encode(line))}\n`)
    } catch (err) {
      process.stderr.write(`failed to execute map: ${cliErrorText((err as Error).message)}\n`)
    }
  }
  return 0
}
