import { EndOfInput, FieldError, type Input } from '../../component.ts'
import { defineInput } from '../../kit/declare.ts'
import { field } from '../../spec.ts'

/**
 * Reads its children one after another: the next is connected only once the one before has
 * ended (its EndOfInput, which comes after its last deliveries), and the sequence ends with the
 * last. A child's other read errors (NotConnected, InputDraining, …) reach the stream as they are.
 */
export function sequenceOf(children: readonly Input[]): Input {
  let at = 0
  let connected = -1
  const connectCurrent = async (signal: AbortSignal): Promise<void> => {
    if (at < children.length && connected !== at) {
      connected = -1
      await children[at]!.connect(signal)
      connected = at
    }
  }
  return {
    connect: connectCurrent,
    async read(signal) {
      for (;;) {
        if (at >= children.length) throw new EndOfInput()
        await connectCurrent(signal)
        try {
          return await children[at]!.read(signal)
        } catch (err) {
          if (!(err instanceof EndOfInput)) throw err
          const done = children[at]!
          at++
          await done.close()
        }
      }
    },
    async close() {
      for (let i = at; i < children.length; i++) await children[i]!.close()
      at = children.length
    },
  }
}

export const sequenceInputPlugin = defineInput({
  name: 'sequence',
  status: 'stable',
  categories: ['Utility'],
  summary:
    'Reads messages from a sequence of child inputs, starting with the first and once that input gracefully terminates starts consuming from the next, and so on.',
  description:
    'This input is useful for consuming from inputs that have an explicit end but must not be consumed in parallel. `sharded_join` is not supported yet: a type other than `none` is refused at start.',
  fields: [
    field.object(
      'sharded_join',
      [
        // Bento also has full-outer and outer; offering only what runs makes them a lint error
        // at their path instead of a config accepted and ignored.
        field.string('type', {
          default: 'none',
          options: ['none'],
          description:
            'The type of join to perform (Bento also has `full-outer` and `outer`, not implemented here).',
        }),
        field.string('id_path', {
          default: '',
          description:
            'A dot path that points to a common field within messages of each fragmented data set and can be used to join them.',
        }),
        field.int('iterations', {
          default: 1,
          description:
            'The total number of iterations (shards), increasing this number will increase the overall time taken to process the data, but reduces the memory used in the process.',
        }),
        field.string('merge_strategy', {
          default: 'array',
          options: ['array', 'replace', 'keep'],
          description:
            'The chosen strategy to use when a data join would otherwise result in a collision of field values.',
        }),
      ],
      {
        advanced: true,
        default: { type: 'none', id_path: '', iterations: 1, merge_strategy: 'array' },
        description:
          'EXPERIMENTAL: Provides a way to perform outer joins of arbitrarily structured and unordered data resulting from the input sequence, even when the overall size of the data surpasses the memory available on the machine.',
      },
    ),
    field.array('inputs', 'input', { description: 'An array of inputs to read from sequentially.' }),
  ],
  async create(config, context) {
    if (config.inputs.length === 0)
      throw new FieldError('inputs', 'sequence input requires at least one child input')
    const children: Input[] = []
    for (const parsed of config.inputs) children.push(await context.build.input(parsed))
    return sequenceOf(children)
  },
})
