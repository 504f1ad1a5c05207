// Which metadata keys an output carries to its destination (headers, attributes, properties).
import type { Message } from '../message.ts'
import { field } from '../spec.ts'

export interface MetadataIncludeConfig {
  include_prefixes: string[]
  include_patterns: string[]
}

/** Bento's `metadata` object of outputs that send only the keys asked for (nothing by default). */
export const metadataIncludeField = (description = 'Specify criteria for which metadata values are sent.') =>
  field.object(
    'metadata',
    [
      field.array('include_prefixes', 'string', {
        default: [],
        description: 'Provide a list of explicit metadata key prefixes to match against.',
      }),
      field.array('include_patterns', 'string', {
        default: [],
        description:
          'Provide a list of explicit metadata key regular expression (re2) patterns to match against.',
      }),
    ],
    { default: { include_prefixes: [], include_patterns: [] }, description },
  )

/** Bento's older `metadata.exclude_prefixes` form (kafka, redis_streams): everything except these. */
export const metadataExcludeField = (description = 'Specify criteria for which metadata values are sent.') =>
  field.object(
    'metadata',
    [
      field.array('exclude_prefixes', 'string', {
        default: [],
        description: 'Provide a list of explicit metadata key prefixes to be excluded when adding metadata.',
      }),
    ],
    { default: { exclude_prefixes: [] }, description },
  )

export type MetadataFilter = (key: string) => boolean

export function metadataIncludeFilter(c: MetadataIncludeConfig): MetadataFilter {
  const prefixes = c.include_prefixes
  const patterns = c.include_patterns.map((p) => new RegExp(p))
  if (prefixes.length === 0 && patterns.length === 0) return () => false
  return (key) => prefixes.some((p) => key.startsWith(p)) || patterns.some((p) => p.test(key))
}

export function metadataExcludeFilter(c: { exclude_prefixes: string[] }): MetadataFilter {
  const prefixes = c.exclude_prefixes
  return (key) => !prefixes.some((p) => key.startsWith(p))
}

/** The message's metadata that passes the filter, as strings (how most protocols carry it). */
export function metadataStrings(message: Message, filter: MetadataFilter): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of message.metadata.keys()) {
    if (filter(key)) out[key] = message.metaString(key) ?? ''
  }
  return out
}
