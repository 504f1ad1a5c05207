// Bento's config unit tests (`tests:` in a config or in a `_bento_test.yaml` beside it), declared
// with the same field specs as components so a misspelt test field is a lint problem with its
// position. The runner is the CLI's `test` command (apps/plugin).
import { field } from './spec.ts'

const inputFields = [
  field.string('content', { optional: true, description: 'the raw content of the message' }),
  field.any('json_content', {
    optional: true,
    description: 'sets the content to this value encoded as JSON',
  }),
  field.string('file_content', {
    optional: true,
    description: 'sets the content from a file, relative to the test file',
  }),
  field.map('metadata', 'any', { optional: true, description: 'metadata keys and values of the message' }),
]

const outputFields = [
  field.bloblang('bloblang', {
    optional: true,
    description: 'a mapping run on the message; the test fails unless it results in true',
  }),
  field.string('content_equals', { optional: true, description: 'the exact raw content' }),
  field.string('content_matches', {
    optional: true,
    description: 'a regular expression the content matches',
  }),
  field.map('metadata_equals', 'any', {
    optional: true,
    description: 'metadata keys and the values they hold',
  }),
  field.string('file_equals', { optional: true, description: 'a file holding the exact content' }),
  field.string('file_json_equals', {
    optional: true,
    description: 'a file holding a JSON document structurally equal to the content',
  }),
  field.string('file_json_contains', {
    optional: true,
    description: 'a file holding a JSON document the content is a superset of',
  }),
  field.any('json_equals', {
    optional: true,
    description: 'a JSON document structurally equal to the content',
  }),
  field.any('json_contains', { optional: true, description: 'a JSON document the content is a superset of' }),
]

export const testCaseFields = [
  field.string('name', { description: 'what the test checks' }),
  field.map('environment', 'string', {
    optional: true,
    description: 'environment variables set while the test runs',
  }),
  field.string('target_processors', {
    default: '/pipeline/processors',
    description:
      'a JSON pointer to the processor(s) to run, or a resource label; `file.yaml#/pointer` targets another file',
  }),
  field.string('target_mapping', {
    default: '',
    description: 'a Bloblang file (relative to the test file) to run instead of processors',
  }),
  field.map('mocks', 'any', {
    optional: true,
    description: 'processors replacing the ones at these labels or JSON pointers',
  }),
  field.array('input_batch', inputFields, { optional: true, description: 'one batch of input messages' }),
  field.array('input_batches', 'array', {
    optional: true,
    element: field.array('', inputFields),
    description: 'several batches of input messages',
  }),
  field.array('output_batches', 'array', {
    optional: true,
    element: field.array('', outputFields),
    description: 'the batches expected, each a list of conditions per message',
  }),
]

export const testsField = field.array('tests', testCaseFields, {
  optional: true,
  description: 'unit tests of this config, run by `test`',
})

export interface TestInput {
  content?: string
  json_content?: unknown
  file_content?: string
  metadata?: Record<string, unknown>
}

export interface TestConditions {
  bloblang?: string
  content_equals?: string
  content_matches?: string
  metadata_equals?: Record<string, unknown>
  file_equals?: string
  file_json_equals?: string
  file_json_contains?: string
  json_equals?: unknown
  json_contains?: unknown
}

export interface TestCase {
  name: string
  environment?: Record<string, string>
  target_processors: string
  target_mapping: string
  mocks?: Record<string, unknown>
  input_batch?: TestInput[]
  input_batches?: TestInput[][]
  output_batches?: TestConditions[][]
}
