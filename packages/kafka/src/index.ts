// Components of this package, each declared once (spec beside its factory). `components` is what
// the registry and the catalog read; `register` adds them all to an environment so a program
// includes only the connector packages it installed.
import { addPlugins, type Environment } from '@bento-ts/core'
import { kafkaCache } from './cache.ts'
import { kafkaInput } from './input.ts'
import { kafkaOutput } from './output.ts'

export const packageName = '@bento-ts/kafka'

export { kafkaCache } from './cache.ts'
export { PartitionCheckpointer } from './checkpoint.ts'
export { registerCodecs } from './codecs.ts'
export {
  explicitAssigner,
  type KafkaInputConfig,
  KafkaReader,
  kafkaInput,
  type ResumePoints,
} from './input.ts'
export { type KafkaOutputConfig, kafkaOutput } from './output.ts'
export { fnv1a32, murmur2, partitionerFor } from './partitioners.ts'
export {
  bytesCodec,
  jsonCodec,
  type KafkaStateStore,
  type ListOptions,
  openStateStore,
  type SaveOptions,
  type StateCodec,
  type StateEntry,
  type StateStore,
  type StateStoreOptions,
} from './store.ts'
export { parseTopics } from './topics.ts'

export const components = [kafkaInput, kafkaOutput, kafkaCache]

/** Adds the kafka input, output and cache to an environment. */
export function register(env: Environment): Environment {
  return addPlugins(env, components)
}
