// Components of this package. Each one declares its config spec once; `register` adds them all to
// an environment so a program includes only the connector packages it installed.

import { addPlugins, type Environment, type Plugin } from '@bento-ts/core'
import { httpClientOutputPlugin } from './http-client-output.ts'
import { httpProcessorPlugin } from './http-processor.ts'
import { httpServerInputPlugin } from './http-server-input.ts'
import { syncResponseOutput } from './sync-response-output.ts'

export const packageName = '@bento-ts/http'

export const plugins: Plugin[] = [
  httpServerInputPlugin,
  httpClientOutputPlugin,
  httpProcessorPlugin,
  syncResponseOutput,
] as Plugin[]

/** Adds http_server, http_client, the http processor and the sync_response output. */
export function register(env: Environment): Environment {
  return addPlugins(env, plugins)
}

export { type ClientConfig, createClient, type HttpClient, UnexpectedResponse } from './client.ts'
export {
  type HttpClientOutputConfig,
  httpClientOutput,
  httpClientOutputPlugin,
} from './http-client-output.ts'
export { type HttpProcessorConfig, httpProcessor, httpProcessorPlugin } from './http-processor.ts'
export { type HttpServerConfig, httpServerInput, httpServerInputPlugin } from './http-server-input.ts'
export { syncResponseOutput } from './sync-response-output.ts'
