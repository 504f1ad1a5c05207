import type { Plugin } from '../component.ts'
import { bloblangProcessorPlugin, mappingProcessorPlugin, mutationProcessorPlugin } from './mapping.ts'
import { archiveProcessor, unarchiveProcessor } from './processors/archive.ts'
import {
  boundsCheckProcessor,
  insertPartProcessor,
  noopProcessor,
  selectPartsProcessor,
  splitProcessor,
  syncResponseProcessor,
} from './processors/batch-utils.ts'
import { branchProcessor } from './processors/branch.ts'
import { cacheProcessor, dedupeProcessor } from './processors/caching.ts'
import {
  catchProcessor,
  forEachProcessor,
  parallelProcessor,
  processorsProcessor,
  resourceProcessor,
  tryProcessor,
} from './processors/composition.ts'
import { compressProcessor, decompressProcessor } from './processors/compression.ts'
import { groupByProcessor, groupByValueProcessor } from './processors/group-by.ts'
import { jmespathProcessor, jsonSchemaProcessor } from './processors/json.ts'
import { logProcessor } from './processors/log.ts'
import { retryProcessor, whileProcessor } from './processors/loops.ts'
import { switchProcessor } from './processors/switch.ts'
import { rateLimitProcessor, sleepProcessor } from './processors/timing.ts'
import { workflowProcessor } from './processors/workflow.ts'

/** Standard processors. */
export const processorPlugins: Plugin[] = [
  mappingProcessorPlugin,
  mutationProcessorPlugin,
  bloblangProcessorPlugin,
  branchProcessor,
  switchProcessor,
  catchProcessor,
  tryProcessor,
  logProcessor,
  splitProcessor,
  dedupeProcessor,
  cacheProcessor,
  rateLimitProcessor,
  sleepProcessor,
  noopProcessor,
  groupByProcessor,
  groupByValueProcessor,
  archiveProcessor,
  unarchiveProcessor,
  compressProcessor,
  decompressProcessor,
  jmespathProcessor,
  jsonSchemaProcessor,
  parallelProcessor,
  whileProcessor,
  workflowProcessor,
  boundsCheckProcessor,
  forEachProcessor,
  selectPartsProcessor,
  syncResponseProcessor,
  retryProcessor,
  processorsProcessor,
  resourceProcessor,
  insertPartProcessor,
] as Plugin[]
