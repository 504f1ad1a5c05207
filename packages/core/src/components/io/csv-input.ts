import type { Plugin } from '../../component.ts'
import { autoReplayNacks } from '../../replay.ts'
import { field } from '../../spec.ts'
import { expandPaths, fileInput } from './file.ts'
import { csvInputScanner } from './scanner.ts'

interface CsvInputConfig {
  paths: string[]
  parse_header_row: boolean
  delimiter: string
  lazy_quotes: boolean
  delete_on_finish: boolean
  batch_count: number
  auto_replay_nacks: boolean
  expected_headers?: string[]
  expected_number_of_fields?: number
}

export const csvInputPlugin: Plugin<'input'> = {
  spec: {
    name: 'csv',
    kind: 'input',
    status: 'stable',
    categories: ['Local'],
    summary: 'Reads one or more CSV files as structured records following the format described in RFC 4180.',
    description:
      "With a header row each row becomes an object keyed by the header (a row longer than the header stays an array), with the metadata `header` (the header row as an array); without, an array of strings. Every message also has `path`, `mod_time_unix` and `mod_time` (RFC3339). A row with a field count other than the first row's, or with stray quotes, is kept as read unless `expected_number_of_fields` is set.",
    fields: [
      field.array('paths', 'string', {
        description:
          'A list of file paths to read from. Each file will be read sequentially until the list is exhausted, at which point the input will close. Glob patterns are supported, including super globs (double star).',
        examples: [['/tmp/foo.csv', '/tmp/bar/*.csv', '/tmp/data/**/*.csv']],
      }),
      field.bool('parse_header_row', {
        default: true,
        description:
          'Whether to reference the first row as a header row. If set to true the output structure for messages will be an object where field keys are determined by the header row. Otherwise, each message will consist of an array of values from the corresponding CSV row.',
      }),
      field.string('delimiter', {
        default: ',',
        description:
          'The delimiter to use for splitting values in each record. It must be a single character.',
      }),
      field.bool('lazy_quotes', {
        default: false,
        description:
          'If set to `true`, a quote may appear in an unquoted field and a non-doubled quote may appear in a quoted field.',
      }),
      field.bool('delete_on_finish', {
        default: false,
        advanced: true,
        description: 'Whether to delete input files from the disk once they are fully consumed.',
      }),
      field.int('batch_count', {
        default: 1,
        advanced: true,
        description:
          'Optionally process records in batches. This can help to speed up the consumption of exceptionally large CSV files. When the end of the file is reached the remaining records are processed as a (potentially smaller) batch.',
      }),
      field.bool('auto_replay_nacks', {
        default: true,
        description:
          'Whether messages that are rejected (nacked) at the output level should be automatically replayed indefinitely, eventually resulting in back pressure if the cause of the rejections is persistent. If set to `false` these messages will instead be deleted.',
      }),
      field.array('expected_headers', 'string', {
        optional: true,
        description:
          "An optional list of expected headers in the header row. If provided, the scanner will check the file contents and emit an error if any expected headers don't match.",
        examples: [['first_name', 'last_name', 'age']],
      }),
      field.int('expected_number_of_fields', {
        optional: true,
        description: 'The number of expected fields in the csv file.',
      }),
    ],
  },
  create(config: CsvInputConfig, context) {
    if ([...config.delimiter].length !== 1) throw new Error('delimiter value must be exactly one character')
    if (expandPaths(config.paths).length === 0) throw new Error('requires at least one input file path')
    if (config.batch_count < 1) throw new Error('batch_count must be at least 1')
    const scanner = csvInputScanner(
      {
        custom_delimiter: config.delimiter,
        parse_header_row: config.parse_header_row,
        lazy_quotes: config.lazy_quotes,
        // without a header row Bento's csv input has nothing to check the expected headers against
        ...(config.expected_headers === undefined || !config.parse_header_row
          ? {}
          : { expected_headers: config.expected_headers }),
        ...(config.expected_number_of_fields === undefined
          ? {}
          : { expected_number_of_fields: config.expected_number_of_fields }),
      },
      { batchCount: config.batch_count },
    )
    const files = {
      paths: config.paths,
      delete_on_finish: config.delete_on_finish,
      auto_replay_nacks: config.auto_replay_nacks,
    }
    return autoReplayNacks(fileInput(files, context.logger, scanner), config.auto_replay_nacks)
  },
}
