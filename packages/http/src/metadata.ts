// Bento's metadata include filter under the names the HTTP components give it (`extract_headers`,
// `sync_response.metadata_headers`), with the same parsed type as the kit's `metadata` field.
import type { FieldSpec } from '@bento-ts/core'
import { type MetadataIncludeConfig, metadataIncludeField } from '@bento-ts/core/kit'

export function metadataIncludeFieldNamed<const N extends string>(
  name: N,
  description: string,
  options: { advanced?: boolean } = {},
): FieldSpec<N, MetadataIncludeConfig, 'always'> {
  return { ...metadataIncludeField(description), ...options, name }
}
