// Interpolated fields of the outputs (subject, key), rendered per message.
import { BatchView, interpolation } from '@bento-ts/core/kit'

/**
 * A field rendered for message `index` of a batch; a static one is rendered once, and the batch
 * view (which the Bloblang engine needs) is only asked for when a field is dynamic. A bad
 * expression is a FieldError; a failing one throws `<field> interpolation error: …`.
 */
export function perMessage(field: string, source: string): (view: () => BatchView, index: number) => string {
  const parsed = interpolation(field, source)
  if (parsed.isStatic) {
    const text = parsed.text(new BatchView([]), 0)
    return () => text
  }
  return (view, index) => parsed.text(view(), index)
}
