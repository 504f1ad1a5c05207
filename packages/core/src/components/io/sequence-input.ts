import {
  type ComponentContext,
  EndOfInput,
  type Input,
  type ParsedComponent,
  type Plugin,
} from '../../component.ts'
import { field } from '../../spec.ts'

interface SequenceInputConfig {
  inputs: ParsedComponent[]
  sharded_join: { type: string; id_path: string; iterations: number; merge_strategy: string }
}

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

export const sequenceInputPlugin: Plugin<'input'> = {
  spec: {
    name: 'sequence',
    kind: 'input',
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
          field.string('type', {
            default: 'none',
            options: ['none', 'full-outer', 'outer'],
            description: 'The type of join to perform.',
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
  },
  async create(config: SequenceInputConfig, context: ComponentContext) {
    if (config.inputs.length === 0) throw new Error('sequence input requires at least one child input')
    if (config.sharded_join.type !== 'none')
      throw new Error(`sharded_join type ${config.sharded_join.type} is not supported yet; use type none`)
    const children: Input[] = []
    for (const parsed of config.inputs) children.push(await context.build.input(parsed))
    return sequenceOf(children)
  },
}
