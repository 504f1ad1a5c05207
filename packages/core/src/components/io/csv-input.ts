import { FieldError } from '../../component.ts'
import { defineInput } from '../../kit/declare.ts'
import { autoReplayNacksField } from '../../kit/fields.ts'
import { autoReplayNacks } from '../../replay.ts'
import { field } from '../../spec.ts'
import { expandPaths, fileInput } from './file.ts'
import { csvInputScanner } from './scanner.ts'

export const csvInputPlugin = defineInput({
  name: 'csv',
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
      description: 'The delimiter to use for splitting values in each record. It must be a single character.',
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
    autoReplayNacksField(),
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
  create(config, context) {
    if ([...config.delimiter].length !== 1)
      throw new FieldError('delimiter', 'delimiter value must be exactly one character')
    if (expandPaths(config.paths).length === 0)
      throw new FieldError('paths', 'requires at least one input file path')
    if (config.batch_count < 1) throw new FieldError('batch_count', 'batch_count must be at least 1')
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
    return autoReplayNacks(fileInput(config, context.logger, scanner), config.auto_replay_nacks)
  },
})
