import { basicAuthField } from './basic-auth.ts'
import type { ParsedComponent } from './component.ts'
import { corsField } from './cors.ts'
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
  corsField,
  basicAuthField,
]

const pipelineFields = [
  field.int('threads', { default: -1, description: 'batches processed at once; -1: one per CPU' }),
  field.array('processors', 'processor', { default: [] }),
]

const errorHandlingFields = [
  field.string('strategy', {
    default: 'none',
    options: ['none', 'reject'],
    description:
      '`none`: a message a processor failed travels on, flagged, to the output; `reject`: it is nacked instead of reaching the output, so its input redelivers it or (without auto replay) drops it.',
  }),
  field.object(
    'log',
    [
      field.bool('enabled', { default: false, description: 'log each message that is rejected' }),
      field.bool('add_payload', { default: false, description: 'include the payload in that log' }),
      field.float('sampling_ratio', { default: 1, description: 'the share of rejections logged, 0 to 1' }),
    ],
    { default: { enabled: false, add_payload: false, sampling_ratio: 1 } },
  ),
]

export interface ErrorHandling {
  strategy: 'none' | 'reject'
  log: { enabled: boolean; add_payload: boolean; sampling_ratio: number }
}

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
  field.object('error_handling', errorHandlingFields, {
    default: defaultsOf(errorHandlingFields),
    advanced: true,
    description: 'What happens to messages that a processor failed.',
  }),
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
  error_handling: ErrorHandling
}
