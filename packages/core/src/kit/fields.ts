// Fields many components share, declared once with Bento's names, defaults and wording
// (Bento's NewOutputMaxInFlightField, NewAutoRetryNacksToggleField, NewBatchPolicyField…).
import { field } from '../spec.ts'

/** `max_in_flight`: how many batches an output writes at once. Bento's default is 64. */
export const maxInFlightField = (defaultValue = 64) =>
  field.int('max_in_flight', {
    default: defaultValue,
    description:
      'The maximum number of messages to have in flight at a given time. Increase this to improve throughput.',
  })

/** `auto_replay_nacks`: whether an input replays what its outputs rejected (Bento: on). */
export const autoReplayNacksField = () =>
  field.bool('auto_replay_nacks', {
    default: true,
    description:
      'Whether messages that are rejected (nacked) at the output level should be automatically replayed indefinitely, eventually resulting in back pressure if the cause of the rejections is persistent. If set to `false` these messages will instead be deleted. Disabling auto replays can greatly improve memory efficiency of high throughput streams as the original shape of the data can be discarded immediately upon consumption and mutation.',
  })

export const batchingPolicyFields = [
  field.int('count', {
    default: 0,
    description:
      'A number of messages at which the batch should be flushed. If `0` disables count based batching.',
  }),
  field.int('byte_size', {
    default: 0,
    description:
      'An amount of bytes at which the batch should be flushed. If `0` disables size based batching.',
  }),
  field.string('period', {
    default: '',
    description: 'A period in which an incomplete batch should be flushed regardless of its size.',
    examples: ['1s', '1m', '500ms'],
  }),
  field.float('jitter', {
    default: 0,
    advanced: true,
    description:
      'A non-negative factor that adds random delay to batch flush intervals, where delay is determined uniformly at random between `0` and `jitter * period`.',
  }),
  field.bloblang('check', {
    default: '',
    description:
      'A Bloblang query that should return a boolean value indicating whether a message should end a batch.',
    examples: ['this.type == "end_of_transaction"'],
  }),
  field.array('processors', 'processor', {
    optional: true,
    advanced: true,
    description:
      'A list of processors to apply to a batch as it is flushed. This allows you to aggregate and archive the batch however you see fit. Please note that all resulting messages are flushed as a single batch, therefore splitting the batch into smaller batches using these processors is a no-op.',
  }),
]

/** `batching`: Bento's batch policy (off by default). */
export const batchingField = field.object('batching', batchingPolicyFields, {
  default: { count: 0, byte_size: 0, period: '', jitter: 0, check: '' },
  description: 'Allows you to configure a batching policy.',
})
