// CONNECTOR components for bento-ts. Each component is one declaration beside its code (spec and
// factory); `components` lists them for the registry and the generated catalog, and `register`
// adds them to an environment, so a program includes only the connector packages it installed.
import { addPlugins, type Environment } from '@bento-ts/core'
import { input } from './input.ts'
import { output } from './output.ts'

export const packageName = '@bento-ts/CONNECTOR'

export const components = [input, output]

/** Adds every CONNECTOR component to the environment. */
export function register(env: Environment): Environment {
  return addPlugins(env, components)
}

export { input, output }
