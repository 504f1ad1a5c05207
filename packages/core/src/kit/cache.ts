// The cache skeleton: a connector gives how to connect and the four operations over a
// connection; the skeleton connects on first use (once, whoever asks first), drops a connection
// an operation says is broken (NotConnected) so the next call connects again, and closes it.
import { type Cache, NotConnected } from '../component.ts'

export interface CacheDriver<C> {
  connect(signal?: AbortSignal): Promise<C>
  /** throws KeyNotFound */
  get(connection: NoInfer<C>, key: string): Promise<Uint8Array>
  set(connection: NoInfer<C>, key: string, value: Uint8Array, ttlMs?: number): Promise<void>
  /** throws KeyExists */
  add(connection: NoInfer<C>, key: string, value: Uint8Array, ttlMs?: number): Promise<void>
  delete(connection: NoInfer<C>, key: string): Promise<void>
  disconnect(connection: NoInfer<C>): Promise<void>
}

export function cacheSkeleton<C>(driver: CacheDriver<C>, signal?: AbortSignal): Cache {
  let connection: Promise<C> | undefined
  const use = async <T>(op: (c: C) => Promise<T>): Promise<T> => {
    connection ??= driver.connect(signal)
    const current = connection
    let c: C
    try {
      c = await current
    } catch (err) {
      if (connection === current) connection = undefined
      throw err instanceof NotConnected ? err : new NotConnected((err as Error).message)
    }
    try {
      return await op(c)
    } catch (err) {
      if (err instanceof NotConnected && connection === current) {
        connection = undefined
        driver.disconnect(c).catch(() => {})
      }
      throw err
    }
  }
  return {
    get: (key) => use((c) => driver.get(c, key)),
    set: (key, value, ttlMs) => use((c) => driver.set(c, key, value, ttlMs)),
    add: (key, value, ttlMs) => use((c) => driver.add(c, key, value, ttlMs)),
    delete: (key) => use((c) => driver.delete(c, key)),
    async close() {
      const current = connection
      connection = undefined
      if (current === undefined) return
      const c = await current.catch(() => undefined)
      if (c !== undefined) await driver.disconnect(c)
    },
  }
}
