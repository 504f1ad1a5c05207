// MIME multipart bodies (RFC 2046), the way Bento moves a batch over one HTTP request or response:
// each message one part. Written like Go's mime/multipart writer, read like its reader.

import { randomBytes } from 'node:crypto'

export interface Part {
  /** header name → value, names as given when writing, lower case when read */
  headers: [string, string][]
  body: Uint8Array
}

const crlf = Buffer.from('\r\n')

/** A random boundary like Go's multipart.Writer makes (60 hex characters). */
export const newBoundary = (): string => randomBytes(30).toString('hex')

/** The parts as one body: `--b\r\n headers \r\n\r\n body \r\n--b …\r\n--b--\r\n`. */
export function encodeMultipart(parts: readonly Part[], boundary: string): Buffer {
  const chunks: Uint8Array[] = []
  parts.forEach((part, i) => {
    let head = `${i === 0 ? '' : '\r\n'}--${boundary}\r\n`
    for (const [name, value] of part.headers) head += `${name}: ${value}\r\n`
    chunks.push(Buffer.from(`${head}\r\n`), part.body)
  })
  chunks.push(Buffer.from(`${parts.length === 0 ? '' : '\r\n'}--${boundary}--\r\n`))
  return Buffer.concat(chunks)
}

/** Splits a multipart body into its parts; throws when it is malformed or cut short. */
export function decodeMultipart(body: Uint8Array, boundary: string): Part[] {
  if (boundary === '') throw new Error('multipart: boundary is empty')
  const data = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const delimiter = Buffer.from(`--${boundary}`)
  const between = Buffer.from(`\r\n--${boundary}`)
  let at = data.indexOf(delimiter)
  if (at < 0) throw new Error('multipart: NextPart: EOF')
  const parts: Part[] = []
  for (;;) {
    at += delimiter.length
    if (data[at] === 0x2d && data[at + 1] === 0x2d) return parts
    // Transport padding, then the line break that ends the delimiter line.
    while (data[at] === 0x20 || data[at] === 0x09) at++
    if (data[at] === 0x0d && data[at + 1] === 0x0a) at += 2
    else if (data[at] === 0x0a) at += 1
    else throw new Error('multipart: NextPart: EOF')
    const headers: [string, string][] = []
    for (;;) {
      const lineEnd = data.indexOf(crlf, at)
      if (lineEnd < 0) throw new Error('multipart: NextPart: EOF')
      const line = data.toString('latin1', at, lineEnd)
      at = lineEnd + 2
      if (line === '') break
      const colon = line.indexOf(':')
      if (colon <= 0) throw new Error(`multipart: malformed MIME header line: ${line}`)
      headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()])
    }
    const end = data.indexOf(between, at)
    if (end < 0) throw new Error('multipart: NextPart: EOF')
    parts.push({ headers, body: data.subarray(at, end) })
    at = end + 2
  }
}
