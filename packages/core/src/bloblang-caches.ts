// Bloblang's cache_get/cache_set/cache_add/cache_delete reach the cache resources of the streams
// running in this process. Labels are process-wide, as Bento's resources are in streams mode: a
// label declared by two running streams names the one built last.
import { type CacheProvider, cacheProviders } from '@bento-ts/bloblang'
import type { Cache, ImmediateCache } from './component.ts'

const byLabel = new Map<string, Cache[]>()
const encoder = new TextEncoder()

function immediate(label: string): ImmediateCache {
  const cache = byLabel.get(label)?.at(-1)
  if (cache?.now === undefined)
    throw new Error(
      `cache resource "${label}" cannot be used from Bloblang: only caches held in memory (memory, lru, ttlru) answer at once`,
    )
  return cache.now
}

const provider: CacheProvider = {
  has: (label) => byLabel.has(label),
  get: (label, key) => immediate(label).get(key),
  set: (label, key, value) => immediate(label).set(key, encoder.encode(value)),
  add: (label, key, value) => immediate(label).add(key, encoder.encode(value)),
  delete: (label, key) => immediate(label).delete(key),
}

/** Makes a cache resource visible to Bloblang's cache functions; the returned function withdraws it. */
export function offerCache(label: string, cache: Cache): () => void {
  cacheProviders.current ??= provider
  const list = byLabel.get(label) ?? []
  list.push(cache)
  byLabel.set(label, list)
  return () => {
    const at = list.indexOf(cache)
    if (at >= 0) list.splice(at, 1)
    if (list.length === 0 && byLabel.get(label) === list) byLabel.delete(label)
  }
}
