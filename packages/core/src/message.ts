import { encodeJSON, parseJSON, type Value } from '@bento-ts/bloblang'

const encoder = new TextEncoder()
const decoder = new TextDecoder()
/** the payload of a message made without one (zero bytes: nothing in it can change) */
const noBytes = new Uint8Array(0)
/** metadata the next constructed message takes as its own (set by `adopt` just before) */
let adopted: Map<string, unknown> | undefined

/**
 * One message: payload bytes, a structured view parsed from them on first use (numbers kept
 * lossless, as Bento does), typed metadata and an error flag set by failed processors.
 * Setting one representation drops the other; it is rebuilt on demand.
 *
 * The payload may also be held as text (what a mapping produced) or as a value still to be
 * serialised to JSON: both stand for exactly the bytes they encode to, which are only made when
 * someone asks for them (a `drop` output never does; the next mapping reads the text directly).
 */
export class Message {
  #bytes: Uint8Array | undefined
  /** the payload as text; when #bytes is set too, they agree */
  #text: string | undefined
  /** a value whose JSON encoding is the payload (never handed out, so nobody can change it) */
  #json: { value: Value } | undefined
  #structured: { value: Value } | undefined
  metadata: Map<string, unknown>
  /** set by a processor that failed on this message; the message travels on unchanged */
  error: Error | undefined
  /** which processor set `error` (Bloblang's error_source_* functions); stale once `error` changed */
  errorSource: { label: string; path: string; type: string; of: Error } | undefined

  constructor(content: Uint8Array | string = noBytes, metadata?: Iterable<[string, unknown]>) {
    this.setBytes(content)
    if (adopted !== undefined) {
      this.metadata = adopted
      adopted = undefined
    } else this.metadata = metadata === undefined ? new Map() : new Map(metadata)
    this.error = undefined
    this.errorSource = undefined
  }

  static fromStructured(value: Value, metadata?: Iterable<[string, unknown]>): Message {
    const message = new Message(undefined, metadata)
    message.setStructured(value)
    return message
  }

  /**
   * A message that takes `metadata` as its own (no copy: the caller must not keep using it).
   * `json`: the payload is the JSON encoding of `content`, made when first needed.
   */
  static adopt(content: Uint8Array | string | { json: Value }, metadata: Map<string, unknown>): Message {
    adopted = metadata
    if (typeof content === 'string' || content instanceof Uint8Array) return new Message(content)
    const message = new Message(noBytes)
    message.#bytes = undefined
    message.#json = { value: content.json }
    return message
  }

  /** The payload as text, serialising a pending JSON value; undefined when only bytes are held. */
  #ownText(): string | undefined {
    if (this.#text === undefined) {
      if (this.#json !== undefined) {
        this.#text = encodeJSON(this.#json.value, false)
        this.#json = undefined
      } else if (this.#bytes === undefined) {
        this.#text = encodeJSON(this.#structured!.value, false)
      }
    }
    return this.#text
  }

  bytes(): Uint8Array {
    if (this.#bytes === undefined) this.#bytes = encoder.encode(this.#ownText())
    return this.#bytes
  }

  text(): string {
    const text = this.#bytes === undefined ? this.#ownText() : this.#text
    // A string with a lone surrogate does not survive UTF-8: give what its bytes decode to.
    if (text?.isWellFormed()) return text
    return decoder.decode(this.bytes())
  }

  /**
   * The payload as the Bloblang engine takes it: text when that is what is held (no encoding and
   * decoding on the way), bytes otherwise. Both stand for the same payload.
   */
  content(): Uint8Array | string {
    if (this.#bytes !== undefined) return this.#bytes
    const text = this.#ownText()!
    return text.isWellFormed() ? text : this.bytes()
  }

  /** The payload parsed as JSON; throws when it is not JSON. */
  structured(): Value {
    if (this.#structured === undefined) {
      const text = this.text()
      if (text.length === 0) throw new Error('message is empty')
      this.#structured = { value: parseJSON(text) }
    }
    return this.#structured.value
  }

  setBytes(content: Uint8Array | string): void {
    if (typeof content === 'string') {
      this.#text = content
      this.#bytes = undefined
    } else {
      this.#bytes = content
      this.#text = undefined
    }
    this.#json = undefined
    this.#structured = undefined
  }

  setStructured(value: Value): void {
    this.#structured = { value }
    this.#bytes = undefined
    this.#text = undefined
    this.#json = undefined
  }

  /** An independent copy: metadata and error flag copied, payload shared until one side sets it. */
  copy(): Message {
    adopted = this.metadata.size === 0 ? new Map() : new Map(this.metadata)
    const copy = new Message(noBytes)
    copy.#bytes = this.#bytes
    copy.#text = this.#text
    copy.#json = this.#json
    copy.#structured = this.#structured
    copy.flagLike(this)
    return copy
  }

  /** Takes another message's error flag and its source: a message made anew from it failed as it did. */
  flagLike(other: Message): void {
    this.error = other.error
    this.errorSource = other.errorSource
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
