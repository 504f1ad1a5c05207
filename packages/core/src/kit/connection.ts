// The one connection an input or output skeleton holds: opened once at a time (concurrent
// connects share the attempt), dropped when an operation says the link broke, closed at the end.
import { NotConnected } from '../component.ts'

export interface ConnectionDriver<C> {
  connect(signal: AbortSignal): Promise<C>
  disconnect(connection: C): Promise<void>
}

export interface HeldConnection<C> {
  connect(signal: AbortSignal): Promise<void>
  /**
   * Runs `op` over the open connection: NotConnected when there is none; a NotConnected from `op`
   * (unless the signal aborted it) drops the connection, so the runtime connects again.
   */
  use<T>(signal: AbortSignal, op: (connection: C) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export function holdConnection<C>(driver: ConnectionDriver<C>): HeldConnection<C> {
  let connection: { value: C } | undefined
  let connecting: Promise<void> | undefined
  const drop = (c: { value: C }): void => {
    if (connection !== c) return
    connection = undefined
    driver.disconnect(c.value).catch(() => {})
  }
  return {
    connect(signal) {
      if (connection !== undefined) return Promise.resolve()
      connecting ??= driver
        .connect(signal)
        .then((value) => {
          connection = { value }
        })
        .finally(() => {
          connecting = undefined
        })
      return connecting
    },
    async use(signal, op) {
      const c = connection
      if (c === undefined) throw new NotConnected()
      try {
        return await op(c.value)
      } catch (err) {
        if (err instanceof NotConnected && !signal.aborted) drop(c)
        throw err
      }
    },
    async close() {
      await connecting?.catch(() => {})
      const c = connection
      connection = undefined
      if (c !== undefined) await driver.disconnect(c.value)
    },
  }
}
