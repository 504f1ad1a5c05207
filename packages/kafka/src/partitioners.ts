// The output's `partitioner` choices, computed as Bento's Go client does so that the same key
// lands on the same partition whichever engine wrote it.
import type { ICustomPartitioner } from 'kafkajs'

export const partitionerNames = ['fnv1a_hash', 'murmur2_hash', 'random', 'round_robin', 'manual'] as const
export type PartitionerName = (typeof partitionerNames)[number]

/** 32-bit FNV-1a. */
export function fnv1a32(data: Uint8Array): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < data.length; i++) {
    hash ^= data[i]!
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** Kafka's murmur2 (seed 0x9747b28c), as the Java client hashes keys. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995
  const length = data.length
  let h = 0x9747b28c ^ length
  const blocks = length >> 2
  for (let i = 0; i < blocks; i++) {
    const at = i * 4
    let k = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  const tail = blocks * 4
  const rest = length & 3
  if (rest === 3) h ^= data[tail + 2]! << 16
  if (rest >= 2) h ^= data[tail + 1]! << 8
  if (rest >= 1) {
    h ^= data[tail]!
    h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h >>> 0
}

/** Sarama's hash partitioner: the hash as a signed 32-bit number, remainder, then its absolute value. */
export const fnv1aPartition = (key: Uint8Array, partitions: number): number =>
  Math.abs((fnv1a32(key) | 0) % partitions)

/** The Java client's: the hash with its sign bit cleared, then the remainder. */
export const murmur2Partition = (key: Uint8Array, partitions: number): number =>
  (murmur2(key) & 0x7fffffff) % partitions

const keyBytes = (key: Buffer | string | null | undefined): Uint8Array | undefined =>
  key === null || key === undefined ? undefined : typeof key === 'string' ? Buffer.from(key) : key

/**
 * A kafkajs partitioner for one of Bento's names. A message that already names its partition
 * (manual) keeps it; hash partitioners send keyless messages to a random partition, as Go's does.
 */
export function partitionerFor(
  name: PartitionerName,
  random: () => number = Math.random,
): ICustomPartitioner {
  return () => {
    let next = Math.floor(random() * 1024)
    return ({ topic, partitionMetadata, message }) => {
      const n = partitionMetadata.length
      if (message.partition !== undefined && message.partition !== null) {
        // kafkajs would silently drop a message for a partition it has no leader for.
        if (!partitionMetadata.some((p) => p.partitionId === message.partition))
          throw new Error(`partition ${message.partition} does not exist in topic ${topic} (${n} partitions)`)
        return message.partition
      }
      switch (name) {
        case 'fnv1a_hash':
        case 'murmur2_hash': {
          const key = keyBytes(message.key)
          if (key === undefined) return Math.floor(random() * n)
          return name === 'fnv1a_hash' ? fnv1aPartition(key, n) : murmur2Partition(key, n)
        }
        case 'round_robin':
          next = (next + 1) % n
          return next
        default:
          return Math.floor(random() * n)
      }
    }
  }
}
