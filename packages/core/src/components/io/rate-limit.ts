import { FieldError, parseField, type RateLimit } from '../../component.ts'
import { parseDuration } from '../../duration.ts'
import { defineRateLimit } from '../../kit/declare.ts'
import type { Message } from '../../message.ts'
import { field } from '../../spec.ts'

/**
 * Bento's `local` rate limit: `count` accesses per `interval`. Once the bucket is exhausted an
 * access is told how long until the interval since the last refresh ends; the first access after
 * that refills the bucket (and is not counted against it, as in Bento). `add` counts payload
 * bytes against `byte_size` for components that report sizes.
 */
export class LocalRateLimit implements RateLimit {
  readonly #size: number
  readonly #byteSize: number
  readonly #periodMs: number
  readonly #now: () => number
  #bucket: number
  #byteBucket: number
  #exceeded = false
  #lastRefresh: number

  constructor(count: number, byteSize: number, intervalMs: number, now: () => number = Date.now) {
    // The errors name the config fields the arguments come from.
    if (count < 0) throw new FieldError('count', 'neither byte size nor count can be negative')
    if (byteSize < 0) throw new FieldError('byte_size', 'neither byte size nor count can be negative')
    if (byteSize === 0 && count === 0)
      throw new FieldError('count', 'either count or byte size must be larger than zero')
    this.#size = count
    this.#byteSize = byteSize
    this.#periodMs = intervalMs
    this.#now = now
    this.#bucket = count
    this.#byteBucket = byteSize
    this.#lastRefresh = now()
  }

  async access(): Promise<number> {
    if (this.#size > 0) this.#bucket--
    if (this.#bucket < 0) this.#exceeded = true
    if (!this.#exceeded) return 0
    const remaining = this.#periodMs - (this.#now() - this.#lastRefresh)
    if (remaining > 0) return remaining
    this.#refresh()
    return 0
  }

  /** Counts the messages' bytes; true when the byte limit is now exceeded. */
  add(...messages: Message[]): boolean {
    if (this.#now() - this.#lastRefresh >= this.#periodMs) this.#refresh()
    if (this.#exceeded) return true
    if (this.#byteSize > 0) {
      for (const m of messages) {
        this.#byteBucket -= m.bytes().length
        if (this.#byteBucket < 0) {
          this.#exceeded = true
          break
        }
      }
    }
    return this.#exceeded
  }

  #refresh(): void {
    this.#bucket = this.#size
    this.#byteBucket = this.#byteSize
    this.#lastRefresh = this.#now()
    this.#exceeded = false
  }
}

export const localRateLimitPlugin = defineRateLimit({
  name: 'local',
  status: 'stable',
  summary:
    'The local rate limit is a simple X every Y type rate limit that can be shared across any number of components within the pipeline but does not support distributed rate limits across multiple running instances of Bento.',
  fields: [
    field.int('count', {
      default: 1000,
      description:
        'The maximum number of requests to allow for a given period of time. If `0` disables count based rate-limiting.',
    }),
    field.int('byte_size', {
      default: 0,
      description:
        'The maximum number of bytes to allow for a given period of time. If `0` disables byte_size based rate-limiting.',
    }),
    field.duration('interval', { default: '1s', description: 'The time window to limit requests by.' }),
  ],
  create: (c) =>
    new LocalRateLimit(
      c.count,
      c.byte_size,
      parseField('interval', () => parseDuration(c.interval)),
    ),
})
