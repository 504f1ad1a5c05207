// jq: transforms and filters JSON messages with a jq query (Bento runs gojq; we run jq itself,
// compiled to WebAssembly by jq-wasm, loaded on the first jq processor built).

import { parseJSON, type Value } from '@bento-ts/bloblang'
import type { Plugin } from '../../component.ts'
import type { Batch, Message } from '../../message.ts'
import { field } from '../../spec.ts'
import { errorOf, fail } from './util.ts'

interface JqConfig {
  query: string
  raw: boolean
  output_raw: boolean
}

type JqRaw = (data: string, filter: string, flags?: string[]) => Promise<string>

let loaded: Promise<JqRaw> | undefined
const jq = (): Promise<JqRaw> => {
  loaded ??= import('jq-wasm').then((m) => m.raw as JqRaw)
  return loaded
}

/** What jq printed: one JSON value per line (`-c`), or raw text lines with `-r`. */
function results(printed: string): string[] {
  const lines = printed.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}

export const jqProcessor: Plugin<'processor'> = {
  spec: {
    name: 'jq',
    kind: 'processor',
    status: 'stable',
    categories: ['Mapping'],
    summary: 'Transforms and filters messages using jq queries.',
    description:
      'The query runs on each message. No result filters the message out; one result replaces it; several replace it with an array of them. Objects come out with sorted keys, as Go encodes them.',
    fields: [
      field.string('query', {
        description: 'The jq query to filter and transform messages with.',
        examples: ['.foo.bar', '.[] | select(.id > 5)'],
      }),
      field.bool('raw', {
        default: false,
        advanced: true,
        description: 'Whether to process the input as a raw string instead of as JSON.',
      }),
      field.bool('output_raw', {
        default: false,
        advanced: true,
        description:
          'Whether to output raw text (unquoted) instead of JSON strings when the emitted values are string types.',
      }),
    ],
  },
  async create(config: JqConfig) {
    const run = await jq()
    const flags = ['-c', '-S', ...(config.output_raw ? ['-r'] : [])]
    // A query that does not compile fails at start, as in Bento, not on every message.
    try {
      await run('null', `try (${config.query}) catch empty`, ['-c'])
    } catch (err) {
      throw new Error(`error parsing jq query: ${errorOf(err).message}`)
    }
    const one = async (m: Message): Promise<Message | undefined> => {
      let input: string
      try {
        input = config.raw ? JSON.stringify(m.text()) : m.text()
        if (!config.raw) parseJSON(input)
      } catch (err) {
        fail(m, err)
        return m
      }
      let printed: string
      try {
        printed = await run(input, config.query, flags)
      } catch (err) {
        fail(m, errorOf(err))
        return m
      }
      const out = results(printed)
      if (out.length === 0) return undefined
      if (config.output_raw && out.length === 1) {
        m.setBytes(new TextEncoder().encode(out[0]!))
        return m
      }
      const values: Value[] = out.map((line) => (config.output_raw ? tryJSON(line) : parseJSON(line)))
      m.setStructured(values.length === 1 ? values[0]! : values)
      return m
    }
    return {
      async process(batch: Batch): Promise<Batch[]> {
        const out: Message[] = []
        for (const m of batch) {
          const kept = await one(m)
          if (kept !== undefined) out.push(kept)
        }
        return out.length === 0 ? [] : [out]
      },
    }
  },
}

const tryJSON = (line: string): Value => {
  try {
    return parseJSON(line)
  } catch {
    return line
  }
}
