import type { Plugin } from '../component.ts'
import { bloblangProcessorPlugin, mappingProcessorPlugin, mutationProcessorPlugin } from './mapping.ts'

/** Standard processors. */
export const processorPlugins: Plugin[] = [
  mappingProcessorPlugin,
  mutationProcessorPlugin,
  bloblangProcessorPlugin,
] as Plugin[]
