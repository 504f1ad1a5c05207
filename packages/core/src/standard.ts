import type { Plugin } from './component.ts'
import { ioPlugins } from './components/io.ts'
import { processorPlugins } from './components/processors.ts'
import { addPlugins, createEnvironment, type Environment } from './environment.ts'

/** The components every bento-ts program has, connector packages aside. */
export const standardPlugins: readonly Plugin[] = [...ioPlugins, ...processorPlugins]

/** A new environment with the standard components; connector packages add theirs with `register(env)`. */
export function standardEnvironment(): Environment {
  return addPlugins(createEnvironment(), standardPlugins)
}
