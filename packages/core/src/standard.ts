import type { Plugin } from './component.ts'
import { generateInput } from './components/generate.ts'
import {
  bloblangProcessorPlugin,
  mappingProcessorPlugin,
  mutationProcessorPlugin,
} from './components/mapping.ts'
import { dropOutput, rejectOutput, stdoutOutput } from './components/outputs-basic.ts'
import { addPlugins, createEnvironment, type Environment } from './environment.ts'

/** The components every bento-ts program has, connector packages aside. */
export const standardPlugins: readonly Plugin[] = [
  generateInput,
  dropOutput,
  rejectOutput,
  stdoutOutput,
  mappingProcessorPlugin,
  mutationProcessorPlugin,
  bloblangProcessorPlugin,
] as Plugin[]

/** A new environment with the standard components; connector packages add theirs with `register(env)`. */
export function standardEnvironment(): Environment {
  return addPlugins(createEnvironment(), standardPlugins)
}
