// Components of this package. Each one is declared once with its config spec; `register` adds them
// all to an environment so a program includes only the connector packages it installed.

import { addPlugins, type Environment } from '@bento-ts/core'
import type { Component } from '@bento-ts/core/kit'
import { httpClientOutput } from './http-client-output.ts'
import { httpProcessor } from './http-processor.ts'
import { httpServerInput } from './http-server-input.ts'
import { syncResponseOutput } from './sync-response-output.ts'

export const packageName = '@bento-ts/http'

/** Every component of the package: what the registry and the catalog read. */
export const components: readonly Component[] = [
  httpServerInput,
  httpClientOutput,
  httpProcessor,
  syncResponseOutput,
]

/** Adds http_server, http_client, the http processor and the sync_response output. */
export function register(env: Environment): Environment {
  return addPlugins(env, components)
}

export { type ClientConfig, createClient, type HttpClient, UnexpectedResponse } from './client.ts'
export { httpClientOutput } from './http-client-output.ts'
export { httpProcessor } from './http-processor.ts'
export { type HttpServerConfig, httpServerInput } from './http-server-input.ts'
export { syncResponseOutput } from './sync-response-output.ts'
