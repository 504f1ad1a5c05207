// NATS components for bento-ts: core NATS, JetStream and key-value buckets, with Bento's field
// names, defaults and metadata keys. `register` adds them all to an environment, so a program
// includes only the connector packages it installed.

import { addPlugins, type Environment, type Plugin } from '@bento-ts/core'
import { kvCachePlugin } from './cache-kv.ts'
import { jetStreamInputPlugin } from './input-jetstream.ts'
import { kvInputPlugin } from './input-kv.ts'
import { natsInputPlugin } from './input-nats.ts'
import { jetStreamOutputPlugin } from './output-jetstream.ts'
import { kvOutputPlugin } from './output-kv.ts'
import { natsOutputPlugin } from './output-nats.ts'

export const packageName = '@bento-ts/nats'

export const plugins: readonly Plugin[] = [
  natsInputPlugin,
  jetStreamInputPlugin,
  kvInputPlugin,
  natsOutputPlugin,
  jetStreamOutputPlugin,
  kvOutputPlugin,
  kvCachePlugin,
]

export function register(env: Environment): Environment {
  return addPlugins(env, plugins)
}

export { type KvCacheConfig, kvCache, kvCachePlugin } from './cache-kv.ts'
export { type JetStreamInputConfig, jetStreamInput, jetStreamInputPlugin } from './input-jetstream.ts'
export { type KvInputConfig, kvInput, kvInputPlugin } from './input-kv.ts'
export { type NatsInputConfig, natsInput, natsInputPlugin } from './input-nats.ts'
export { type JetStreamOutputConfig, jetStreamOutput, jetStreamOutputPlugin } from './output-jetstream.ts'
export { type KvOutputConfig, kvOutput, kvOutputPlugin } from './output-kv.ts'
export { type NatsOutputConfig, natsOutput, natsOutputPlugin } from './output-nats.ts'
