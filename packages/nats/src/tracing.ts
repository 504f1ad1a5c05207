// Bento's tracing fields. bento-ts has no tracer yet: configs that set them still run, and the
// fields are documented as accepted without effect.
import { field } from '@bento-ts/core'

export const inputTracingFields = [
  field.bloblang('extract_tracing_map', {
    optional: true,
    advanced: true,
    description:
      'EXPERIMENTAL: A Bloblang mapping that attempts to extract an object containing tracing propagation information. Accepted; bento-ts does not trace yet.',
  }),
  field.bool('new_root_span_with_link', {
    optional: true,
    advanced: true,
    description:
      'EXPERIMENTAL: Starts a new root span with link to parent. Accepted; bento-ts does not trace yet.',
  }),
] as const

export const outputTracingField = field.bloblang('inject_tracing_map', {
  optional: true,
  advanced: true,
  description:
    'EXPERIMENTAL: A Bloblang mapping used to inject an object containing tracing propagation information into outbound messages. Accepted; bento-ts does not trace yet.',
})
