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
import { cachedProcessor, cacheProcessor, dedupeProcessor } from './processors/caching.ts'
import {
  catchProcessor,
  forEachProcessor,
  parallelProcessor,
  processorsProcessor,
  resourceProcessor,
  tryProcessor,
} from './processors/composition.ts'
import { compressProcessor, decompressProcessor } from './processors/compression.ts'
import { grokProcessor } from './processors/grok.ts'
import { groupByProcessor, groupByValueProcessor } from './processors/group-by.ts'
import { jqProcessor } from './processors/jq.ts'
import { jmespathProcessor, jsonSchemaProcessor } from './processors/json.ts'
import { logProcessor } from './processors/log.ts'
import { retryProcessor, whileProcessor } from './processors/loops.ts'
import { metricProcessor } from './processors/metric.ts'
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
  cachedProcessor,
  jqProcessor,
  metricProcessor,
  grokProcessor,
] as Plugin[]
