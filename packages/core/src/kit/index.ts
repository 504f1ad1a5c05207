// Building blocks for connector packages (`@bento-ts/core/kit`): the shared field specs Bento's
// connectors reuse and the runtime helpers behind them, so each connector declares and behaves
// the same way without copying code.

export { type BasicAuthConfig, basicAuthField, basicAuthStep } from '../basic-auth.ts'
export {
  abortable,
  Channel,
  ChannelClosed,
  exponentialBackoff,
  onAbort,
} from '../components/io/channel.ts'
export {
  backoffFromConfig,
  type RetryBackoffConfig,
  retryBackoffFields,
} from '../components/io/retry.ts'
export {
  ByteReader,
  codecFields,
  type ScannerConfig,
  type ScannerCreator,
  type ScannerStream,
  SourceAcks,
  scannerField,
  scannerFromConfig,
} from '../components/io/scanner.ts'
export { BatchView, Interpolated, interpolated, toInput, wrapError } from '../components/processors/util.ts'
export { isAbort, Pending, pause, Slots } from '../concurrency.ts'
export { type CorsConfig, canonicalHeaderKey, corsAllowsOrigin, corsField, corsStep } from '../cors.ts'
export { goDuration } from '../duration.ts'
export { type BatchPolicy, batchingFields, policyEnabled } from '../sink.ts'
export { type CacheDriver, cacheSkeleton } from './cache.ts'
export { addLazyPackage, type Catalog, type ComponentPackage, catalogOf } from './catalog.ts'
export {
  type Component,
  type Declaration,
  defineCache,
  defineInput,
  defineOutput,
  defineProcessor,
  defineRateLimit,
  type ValueDeclaration,
} from './declare.ts'
export { autoReplayNacksField, batchingField, batchingPolicyFields, maxInFlightField } from './fields.ts'
export {
  type InputDriver,
  type InputRead,
  type InputRuntimeConfig,
  inputSkeleton,
  perMessageAck,
} from './input.ts'
export { type FieldInterpolation, interpolation, interpolationMap } from './interpolation.ts'
export {
  type MetadataFilter,
  type MetadataIncludeConfig,
  metadataExcludeField,
  metadataExcludeFilter,
  metadataIncludeField,
  metadataIncludeFilter,
  metadataStrings,
} from './metadata.ts'
export { type OutputDriver, type OutputRuntimeConfig, outputSkeleton } from './output.ts'
export { noTls, type TlsConfig, tlsField, tlsOptions } from './tls.ts'
