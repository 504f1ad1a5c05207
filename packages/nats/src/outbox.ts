// Publishes (and acks, which are publishes too) gathered over one turn of the event loop and
// handed to the client in one synchronous burst. nats.js writes to the socket once per burst of
// publishes made without a pause; a stream settles one message per promise reaction, so without
// this every message would cost its own socket write (a system call), which was a quarter of the
// CPU time of a JetStream → JetStream stream. Nothing waits long: the burst leaves as soon as the
// pending promise reactions have run.

import type { MsgHdrs, NatsConnection } from 'nats'

/** Told about a queued publish the client refused when the burst went out. */
export type PublishFailed = (error: Error, subject: string, reply: string) => void

export class Outbox {
  readonly #nc: NatsConnection
  #subjects: string[] = []
  #data: Uint8Array[] = []
  #replies: string[] = []
  #headers: (MsgHdrs | undefined)[] = []
  #failed: (PublishFailed | undefined)[] = []
  #scheduled = false
  /** reused for every publish: nats.js encodes it before publish returns */
  readonly #options: { reply: string; headers?: MsgHdrs } = { reply: '' }

  constructor(nc: NatsConnection) {
    this.#nc = nc
  }

  /** how many publishes wait for the next burst */
  get size(): number {
    return this.#subjects.length
  }

  /**
   * Queues a publish. What the client would refuse at once (a closed connection, an empty
   * subject, a payload over the server's limit) throws here; anything refused later goes to
   * `failed` (or is dropped, for acks, whose loss only means a redelivery).
   */
  publish(subject: string, data: Uint8Array, reply = '', headers?: MsgHdrs, failed?: PublishFailed): void {
    const nc = this.#nc
    if (nc.isClosed()) throw new Error('connection closed')
    if (subject === '') throw new Error('empty subject')
    const limit = nc.info?.max_payload
    if (limit !== undefined && data.length > limit)
      throw new Error(`message of ${data.length} bytes exceeds the server's max_payload of ${limit}`)
    this.#subjects.push(subject)
    this.#data.push(data)
    this.#replies.push(reply)
    this.#headers.push(headers)
    this.#failed.push(failed)
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#flush)
    }
  }

  /** Sends everything queued now (also what the scheduled burst would send). */
  flush(): void {
    this.#flush()
  }

  readonly #flush = (): void => {
    this.#scheduled = false
    const subjects = this.#subjects
    const count = subjects.length
    if (count === 0) return
    const data = this.#data
    const replies = this.#replies
    const headers = this.#headers
    const failed = this.#failed
    // Fresh lists for what is queued while this burst runs (a failure callback may publish).
    this.#subjects = []
    this.#data = []
    this.#replies = []
    this.#headers = []
    this.#failed = []
    const options = this.#options
    for (let i = 0; i < count; i++) {
      options.reply = replies[i]!
      const h = headers[i]
      if (h !== undefined) options.headers = h
      else delete options.headers
      try {
        this.#nc.publish(subjects[i]!, data[i]!, options)
      } catch (err) {
        failed[i]?.(err as Error, subjects[i]!, replies[i]!)
      }
    }
  }
}
