import { encodeJSON, parseJSON, type Value } from '@bento-ts/bloblang'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * One message: payload bytes, a structured view parsed from them on first use (numbers kept
 * lossless, as Bento does), typed metadata and an error flag set by failed processors.
 * Setting one representation drops the other; it is rebuilt on demand.
 */
export class Message {
  #bytes: Uint8Array | undefined
  #structured: { value: Value } | undefined
  metadata: Map<string, unknown>
  /** set by a processor that failed on this message; the message travels on unchanged */
  error: Error | undefined

  constructor(content: Uint8Array | string = new Uint8Array(0), metadata?: Iterable<[string, unknown]>) {
    this.#bytes = typeof content === 'string' ? encoder.encode(content) : content
    this.metadata = new Map(metadata)
    this.error = undefined
  }

  static fromStructured(value: Value, metadata?: Iterable<[string, unknown]>): Message {
    const message = new Message(undefined, metadata)
    message.setStructured(value)
    return message
  }

  bytes(): Uint8Array {
    if (this.#bytes === undefined) this.#bytes = encoder.encode(encodeJSON(this.#structured!.value, false))
    return this.#bytes
  }

  text(): string {
    return decoder.decode(this.bytes())
  }

  /** The payload parsed as JSON; throws when it is not JSON. */
  structured(): Value {
    if (this.#structured === undefined) {
      if (this.#bytes!.length === 0) throw new Error('message is empty')
      this.#structured = { value: parseJSON(decoder.decode(this.#bytes)) }
    }
    return this.#structured.value
  }

  setBytes(content: Uint8Array | string): void {
    this.#bytes = typeof content === 'string' ? encoder.encode(content) : content
    this.#structured = undefined
  }

  setStructured(value: Value): void {
    this.#structured = { value }
    this.#bytes = undefined
  }

  /** An independent copy: metadata and error flag copied, payload shared until one side sets it. */
  copy(): Message {
    const copy = new Message()
    copy.#bytes = this.#bytes
    copy.#structured = this.#structured
    copy.metadata = new Map(this.metadata)
    copy.error = this.error
    return copy
  }

  metaString(key: string): string | undefined {
    const value = this.metadata.get(key)
    if (value === undefined) return undefined
    if (typeof value === 'string') return value
    if (value instanceof Uint8Array) return decoder.decode(value)
    return typeof value === 'object' && value !== null ? encodeJSON(value as Value, false) : String(value)
  }
}

/** An ordered group of messages that travel, are processed and are acknowledged together. */
export type Batch = Message[]

/** Total payload bytes of a batch, as batching policies count them. */
export const batchBytes = (batch: Batch): number => batch.reduce((sum, m) => sum + m.bytes().length, 0)
