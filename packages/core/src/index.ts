export { createBuilder, withProcessorMetrics } from './build.ts'
export type {
  AckFn,
  Builder,
  Cache,
  ComponentContext,
  Input,
  Output,
  ParsedComponent,
  Plugin,
  Processor,
  RateLimit,
  Resources,
} from './component.ts'
export {
  BatchError,
  combineErrors,
  EndOfInput,
  FieldError,
  InputDraining,
  KeyExists,
  KeyNotFound,
  NotConnected,
  parseField,
} from './component.ts'
export { applyMapping } from './components/mapping.ts'
export { queryBool } from './components/processors/util.ts'
export {
  ConfigError,
  type ConfigProblem,
  formatProblem,
  type ParseOptions,
  parseComponentText,
  parseComponentValue,
  parseConfig,
  substituteEnv,
} from './config.ts'
export { parseDuration } from './duration.ts'
export {
  addPlugin,
  addPlugins,
  createEnvironment,
  type Environment,
  findPlugin,
  pluginNames,
} from './environment.ts'
export { type StatusServer, type StatusServerExtras, startStatusServer } from './http-server.ts'
export { createLogger, type Logger, silentLogger } from './logger.ts'
export { type Batch, Message } from './message.ts'
export { createMetrics, type Metrics } from './metrics.ts'
export { runProcessors } from './pipeline.ts'
export { autoReplayNacks } from './replay.ts'
export {
  lintStreamConfig,
  loadResources,
  loadStreamConfig,
  type Stream,
  startStream,
  startStreamFromFile,
  withResources,
} from './run.ts'
export { batchingField, type Sink } from './sink.ts'
export {
  type ComponentKind,
  type ComponentSpec,
  type ConfigOf,
  componentSchema,
  defaultsOf,
  type FieldSpec,
  type FieldType,
  field,
  isRequired,
  type ParsedComponentValue,
  type ValueOf,
} from './spec.ts'
export { standardEnvironment, standardPlugins } from './standard.ts'
export { runStream } from './stream.ts'
export { type StreamConfig, streamFields } from './stream-config.ts'
export {
  createStreamsManager,
  type ManagedStream,
  type ResourceKind,
  StreamExists,
  StreamNotFound,
  type StreamsManager,
  uptimeOf,
} from './streams.ts'
export {
  addSyncResponses,
  expectSyncResponses,
  SyncResponseStore,
  syncResponseKey,
  syncResponseStoreOf,
  syncResponsesExpected,
} from './sync-response.ts'
export {
  type TestCase,
  type TestConditions,
  type TestInput,
  testCaseFields,
  testsField,
} from './unit-test-spec.ts'
export { clipFinalBlockScalar } from './yaml-block-scalar.ts'
