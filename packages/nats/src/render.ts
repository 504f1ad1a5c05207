// Interpolated fields of the outputs (subject, key), rendered per message.
import { BatchView, type Interpolated, interpolated } from '@bento-ts/core/kit'

/**
 * A field rendered for message `index` of a batch; a static one is rendered once, and the batch
 * view (which the Bloblang engine needs) is only asked for when a field is dynamic.
 */
export function perMessage(source: string, what: string): (view: () => BatchView, index: number) => string {
  const parsed: Interpolated = interpolated(source, what)
  if (parsed.isStatic) {
    const text = parsed.text(new BatchView([]), 0)
    return () => text
  }
  return (view, index) => {
    try {
      return parsed.text(view(), index)
    } catch (err) {
      throw new Error(`${what}: failed string interpolation: ${(err as Error).message}`)
    }
  }
}
