// The one poll helper of the integration tests: waits for something the test cannot be told about
// (a server's state, a count reached), never a fixed sleep.

export interface EventuallyOptions<T> {
  /** give up after this long (default 30 s) */
  timeoutMs?: number
  /** what is awaited, for the error (default "condition") */
  what?: string
  /** when the probe's value is the one awaited (default: not false, undefined or null) */
  until?: (value: T) => boolean
  /** between probes (default 50 ms) */
  intervalMs?: number
}

const present = (value: unknown): boolean => value !== false && value !== undefined && value !== null

/**
 * Probes until the value is the one awaited and returns it; fails with
 * `timed out waiting for <what> (last: <value>)` after the timeout. A probe that throws fails at once.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  options?: EventuallyOptions<T> & { until?: undefined },
): Promise<Exclude<T, false | undefined | null>>
export async function eventually<T>(
  probe: () => T | Promise<T>,
  options: EventuallyOptions<T> & { until: (value: T) => boolean },
): Promise<T>
export async function eventually<T>(
  probe: () => T | Promise<T>,
  options: EventuallyOptions<T> = {},
): Promise<T> {
  const ok = options.until ?? present
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  for (;;) {
    const value = await probe()
    if (ok(value)) return value
    if (Date.now() > deadline) {
      const last = typeof value === 'boolean' ? '' : ` (last: ${JSON.stringify(value)})`
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}${last}`)
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50))
  }
}
