// NATS components for bento-ts: core NATS, JetStream and key-value buckets, with Bento's field
// names, defaults and metadata keys. `register` adds them all to an environment, so a program
// includes only the connector packages it installed.

import { addPlugins, type Environment } from '@bento-ts/core'
import type { Component } from '@bento-ts/core/kit'
import { kvCache } from './cache-kv.ts'
import { jetStreamInput } from './input-jetstream.ts'
import { kvInput } from './input-kv.ts'
import { natsInput } from './input-nats.ts'
import { jetStreamOutput } from './output-jetstream.ts'
import { kvOutput } from './output-kv.ts'
import { natsOutput } from './output-nats.ts'

export const packageName = '@bento-ts/nats'

/** Every component of the package: what the registry and the catalog read. */
export const components: readonly Component[] = [
  natsInput,
  jetStreamInput,
  kvInput,
  natsOutput,
  jetStreamOutput,
  kvOutput,
  kvCache,
]

export function register(env: Environment): Environment {
  return addPlugins(env, components)
}

export { jetStreamInput, jetStreamOutput, kvCache, kvInput, kvOutput, natsInput, natsOutput }
