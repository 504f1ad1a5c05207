// `blobl server` (alias `playground`): the Bloblang playground in a browser, as Bento serves it —
// GET / is the page, POST /execute runs `{mapping, input}` and answers
// `{result, parse_error, mapping_error}` (plus `metadata`, which our page shows).
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import {
  BloblangParseError,
  createEnvironment,
  type Executor,
  encodeJSON,
  parse,
  type Value,
} from '@bento-ts/bloblang'
import { cliErrorText, describeParseError, runMappingOn } from './blobl.ts'
import { playgroundPage } from './blobl-playground-page.ts'

export interface PlaygroundOptions {
  host: string
  port: number
  open: boolean
  inputFile?: string
  mappingFile?: string
  write: boolean
}

// The playground is reachable from a browser: no reading the server's environment or files.
const playgroundEnv = createEnvironment().withoutFunctions('env', 'file')
const encoder = new TextEncoder()

export interface Evaluation {
  result: string | null
  parse_error: string | null
  mapping_error: string | null
  metadata?: Record<string, Value>
}

export function evaluate(input: string, mapping: string): Evaluation {
  const out: Evaluation = { result: null, parse_error: null, mapping_error: null }
  if (input === '') return { ...out, mapping_error: 'Input JSON string cannot be empty' }
  if (mapping === '') return { ...out, parse_error: 'Mapping string cannot be empty' }
  let executor: Executor
  try {
    executor = parse(mapping, { env: playgroundEnv })
  } catch (err) {
    return {
      ...out,
      parse_error:
        err instanceof BloblangParseError
          ? `failed to parse mapping: ${describeParseError(mapping, err)}`
          : `mapping error: ${(err as Error).message}`,
    }
  }
  try {
    const { text, metadata } = runMappingOn(executor, encoder.encode(input), new Map(), {
      raw: false,
      pretty: true,
    })
    return { ...out, result: text, metadata: Object.fromEntries(metadata) as Record<string, Value> }
  } catch (err) {
    return { ...out, mapping_error: `execution error: ${cliErrorText((err as Error).message)}` }
  }
}

const readOr = (path: string | undefined): string => {
  if (path === undefined) return ''
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** Starts the playground; resolves once it listens, with its URL. */
export async function startPlayground(options: PlaygroundOptions): Promise<{ url: string; server: Server }> {
  let current = { input: readOr(options.inputFile), mapping: readOr(options.mappingFile) }
  let dirty = false
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/execute' && req.method === 'POST') {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        let body: { mapping?: unknown; input?: unknown }
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body
        } catch (err) {
          res
            .writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
            .end(`${(err as Error).message}\n`)
          return
        }
        const next = { input: String(body.input ?? ''), mapping: String(body.mapping ?? '') }
        if (next.input !== current.input || next.mapping !== current.mapping) dirty = true
        current = next
        const result = evaluate(next.input, next.mapping)
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(encodeJSON(result as unknown as Value, false))
      })
      return
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(playgroundPage(current))
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  if (options.write) {
    // Bento writes edits back every 5 seconds.
    const timer = setInterval(() => {
      if (!dirty) return
      dirty = false
      if (options.inputFile !== undefined) writeFileSync(options.inputFile, current.input)
      if (options.mappingFile !== undefined) writeFileSync(options.mappingFile, current.mapping)
    }, 5000)
    timer.unref()
    server.on('close', () => clearInterval(timer))
  }
  const { port } = server.address() as { port: number }
  const url = `http://${options.host === '0.0.0.0' ? 'localhost' : options.host}:${port}`
  if (options.open) {
    const opener =
      process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
    spawn(opener, [url], { stdio: 'ignore', detached: true })
      .on('error', () => {})
      .unref()
  }
  return { url, server }
}
