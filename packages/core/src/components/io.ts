import type { Plugin } from '../component.ts'
import { generateInput } from './generate.ts'
import { dropOutput, rejectOutput, stdoutOutput } from './outputs-basic.ts'

/** Standard inputs, outputs, brokers, caches and rate limits. */
export const ioPlugins: Plugin[] = [generateInput, dropOutput, rejectOutput, stdoutOutput] as Plugin[]
