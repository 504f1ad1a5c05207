import type { ParsedComponent } from './component.ts'
import { loggerFields } from './logger.ts'
import { defaultsOf, field } from './spec.ts'
import { testsField } from './unit-test-spec.ts'

// Bento's top-level stream config: the same keys, defaults and shapes, so a Bento config loads as is.
export const httpFields = [
  field.bool('enabled', { default: true }),
  field.string('address', { default: '0.0.0.0:4195' }),
  field.string('root_path', { default: '/bento' }),
  field.bool('debug_endpoints', { default: false }),
  field.string('cert_file', { default: '', advanced: true }),
  field.string('key_file', { default: '', advanced: true }),
  field.any('cors', { optional: true, advanced: true }),
  field.any('basic_auth', { optional: true, advanced: true }),
]

const pipelineFields = [
  field.int('threads', { default: -1, description: 'batches processed at once; -1: one per CPU' }),
  field.array('processors', 'processor', { default: [] }),
]

export const streamFields = [
  field.object('http', httpFields, { default: defaultsOf(httpFields) }),
  field.input('input', { default: { stdin: {} }, description: 'where messages come from' }),
  field.any('buffer', { default: { none: {} }, advanced: true }),
  field.object('pipeline', pipelineFields, { default: defaultsOf(pipelineFields) }),
  field.output('output', { default: { stdout: {} }, description: 'where messages go' }),
  field.array('input_resources', 'input', { default: [] }),
  field.array('processor_resources', 'processor', { default: [] }),
  field.array('output_resources', 'output', { default: [] }),
  field.array('cache_resources', 'cache', { default: [] }),
  field.array('rate_limit_resources', 'rate_limit', { default: [] }),
  field.object('logger', loggerFields, { default: defaultsOf(loggerFields) }),
  field.any('metrics', { default: { prometheus: {} } }),
  field.any('tracer', { default: { none: {} } }),
  field.duration('shutdown_delay', { default: '0s' }),
  field.duration('shutdown_timeout', { default: '20s' }),
  field.any('error_handling', { optional: true, advanced: true }),
  testsField,
]

export interface StreamConfig {
  http: { enabled: boolean; address: string; root_path: string; debug_endpoints: boolean }
  input: ParsedComponent
  buffer: unknown
  pipeline: { threads: number; processors: ParsedComponent[] }
  output: ParsedComponent
  input_resources: ParsedComponent[]
  processor_resources: ParsedComponent[]
  output_resources: ParsedComponent[]
  cache_resources: ParsedComponent[]
  rate_limit_resources: ParsedComponent[]
  logger: Record<string, unknown>
  metrics: unknown
  shutdown_delay: string
  shutdown_timeout: string
}
