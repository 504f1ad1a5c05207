// GCP Cloud Pub/Sub for bento-ts: the `gcp_pubsub` input and output. `register` adds both to an
// environment so a program includes only the connector packages it installed.
import { addPlugins, type Environment } from '@bento-ts/core'
import { gcpPubsubInputPlugin } from './input.ts'
import { gcpPubsubOutputPlugin } from './output.ts'

export const packageName = '@bento-ts/gcp-pubsub'

/** Every component of the package: what the registry and the catalog read. */
export const components = [gcpPubsubInputPlugin, gcpPubsubOutputPlugin] as const

/** The former name of `components`. */
export const plugins = components

export function register(env: Environment): Environment {
  return addPlugins(env, components)
}

export { type Delivery, metaKeys, toMessage } from './delivery.ts'
export { gcpPubsubInput, gcpPubsubInputPlugin, type InputConfig } from './input.ts'
export { gcpPubsubOutput, gcpPubsubOutputPlugin, type OutputConfig } from './output.ts'
