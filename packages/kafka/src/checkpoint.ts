// The commit point of one partition. Messages are handed out in offset order and acknowledged in
// any order; only the offset just past the longest acknowledged prefix may be committed, so a
// restart (or another member taking the partition over) resumes at the oldest message still
// under way and nothing unacknowledged is ever skipped.

/**
 * Tracks what was handed out from one partition and what of it was acknowledged. Entries live in
 * a ring that grows when needed, so tracking and resolving cost O(1) without allocating.
 */
export class PartitionCheckpointer {
  #offsets: Float64Array
  #sizes: Int32Array
  #done: Uint8Array
  #mask: number
  /** sequence number of the oldest entry not yet passed by the commit point */
  #head = 0
  /** sequence number the next tracked entry gets */
  #tail = 0
  #inFlight = 0
  #committable = -1

  constructor(initialCapacity = 64) {
    let capacity = 1
    while (capacity < initialCapacity) capacity *= 2
    this.#offsets = new Float64Array(capacity)
    this.#sizes = new Int32Array(capacity)
    this.#done = new Uint8Array(capacity)
    this.#mask = capacity - 1
  }

  /** messages handed out and not yet acknowledged */
  get inFlight(): number {
    return this.#inFlight
  }

  /** The offset to commit (one past the last offset of the acknowledged prefix), -1 before any. */
  get committable(): number {
    return this.#committable
  }

  /**
   * Records that the messages up to `lastOffset` (`size` of them) were handed out; returns the
   * ticket to resolve once they are acknowledged. Offsets must grow from one call to the next.
   */
  track(lastOffset: number, size = 1): number {
    if (this.#tail - this.#head > this.#mask) this.#grow()
    const seq = this.#tail++
    const at = seq & this.#mask
    this.#offsets[at] = lastOffset
    this.#sizes[at] = size
    this.#done[at] = 0
    this.#inFlight += size
    return seq
  }

  /** Marks a ticket acknowledged; true when the commit point moved. Unknown or repeated tickets do nothing. */
  resolve(seq: number): boolean {
    if (seq < this.#head || seq >= this.#tail) return false
    const at = seq & this.#mask
    if (this.#done[at] === 1) return false
    this.#done[at] = 1
    this.#inFlight -= this.#sizes[at]!
    if (seq !== this.#head) return false
    while (this.#head < this.#tail && this.#done[this.#head & this.#mask] === 1) {
      this.#committable = this.#offsets[this.#head & this.#mask]! + 1
      this.#head++
    }
    return true
  }

  #grow(): void {
    const capacity = (this.#mask + 1) * 2
    const offsets = new Float64Array(capacity)
    const sizes = new Int32Array(capacity)
    const done = new Uint8Array(capacity)
    const mask = capacity - 1
    for (let seq = this.#head; seq < this.#tail; seq++) {
      offsets[seq & mask] = this.#offsets[seq & this.#mask]!
      sizes[seq & mask] = this.#sizes[seq & this.#mask]!
      done[seq & mask] = this.#done[seq & this.#mask]!
    }
    this.#offsets = offsets
    this.#sizes = sizes
    this.#done = done
    this.#mask = mask
  }
}
