// Message headers both ways: outputs send the `headers` map (interpolated per message) and the
// metadata the `metadata` filter selects; inputs turn every header into metadata.

import { field, syncResponseKey } from '@bento-ts/core'
import {
  type BatchView,
  interpolationMap,
  type MetadataFilter,
  type MetadataIncludeConfig,
  metadataIncludeField,
  metadataIncludeFilter,
} from '@bento-ts/core/kit'
import { type MsgHdrs, headers as newHeaders } from 'nats'

/** The `headers` and `metadata` fields of the `nats` and `nats_jetstream` outputs. */
export const headerFields = [
  field.map('headers', 'string', {
    default: {},
    interpolated: true,
    description: 'Explicit message headers to add to messages.',
    examples: [{ 'Content-Type': 'application/json', Timestamp: '${!metadata("Timestamp").string()}' }],
  }),
  metadataIncludeField('Determine which (if any) metadata values should be added to messages as headers.'),
] as const

export interface HeaderWriter {
  /** whether any message can get a header (else `build` is never needed) */
  readonly active: boolean
  /** The headers for message `index` of the batch; undefined when it has none. Throws on a failed interpolation. */
  build(view: BatchView, index: number): MsgHdrs | undefined
}

export function headerWriter(
  headers: Record<string, string>,
  metadata: MetadataIncludeConfig | undefined,
): HeaderWriter {
  const explicit = interpolationMap('headers', headers)
  const filter: MetadataFilter | undefined =
    metadata !== undefined && (metadata.include_prefixes.length > 0 || metadata.include_patterns.length > 0)
      ? metadataIncludeFilter(metadata)
      : undefined
  return {
    active: explicit.length > 0 || filter !== undefined,
    build(view, index) {
      let out: MsgHdrs | undefined
      for (const [key, value] of explicit) {
        const text = value.text(view, index)
        out ??= newHeaders()
        out.append(key, text)
      }
      if (filter !== undefined) {
        const message = view.batch[index]!
        for (const key of message.metadata.keys()) {
          if (key === syncResponseKey || !filter(key)) continue
          out ??= newHeaders()
          out.append(key, message.metaString(key) ?? '')
        }
      }
      return out
    },
  }
}

/** Sets each header as metadata (its first value); `skipEmpty` leaves out empty values, as Bento's JetStream input does. */
export function setHeaderMetadata(
  metadata: Map<string, unknown>,
  headers: MsgHdrs | undefined,
  skipEmpty: boolean,
) {
  if (headers === undefined) return
  for (const [key, values] of headers) {
    const value = values[0] ?? ''
    if (skipEmpty && value === '') continue
    metadata.set(key, value)
  }
}
