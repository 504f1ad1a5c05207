import type { Component } from '../kit/declare.ts'
import { generateInput } from './generate.ts'
import { brokerInputPlugin } from './io/broker-input.ts'
import { brokerOutputPlugin } from './io/broker-output.ts'
import { lruCachePlugin, memoryCachePlugin, ttlruCachePlugin } from './io/cache.ts'
import { csvInputPlugin } from './io/csv-input.ts'
import { fileInputPlugin, fileOutputPlugin } from './io/file.ts'
import { inprocInputPlugin, inprocOutputPlugin } from './io/inproc.ts'
import { localRateLimitPlugin } from './io/rate-limit.ts'
import { readUntilInputPlugin } from './io/read-until-input.ts'
import { resourceInputPlugin, resourceOutputPlugin } from './io/resource.ts'
import { retryOutputPlugin } from './io/retry.ts'
import {
  dropOnOutputPlugin,
  fallbackOutputPlugin,
  rejectErroredOutputPlugin,
  switchOutputPlugin,
} from './io/routing.ts'
import { sequenceInputPlugin } from './io/sequence-input.ts'
import { stdinInput } from './io/stdin.ts'
import { dropOutput, rejectOutput, stdoutOutput } from './outputs-basic.ts'

/** Standard inputs, outputs, brokers, caches and rate limits. */
export const ioPlugins: Component[] = [
  // inputs
  generateInput,
  stdinInput,
  fileInputPlugin,
  csvInputPlugin,
  inprocInputPlugin,
  brokerInputPlugin,
  sequenceInputPlugin,
  readUntilInputPlugin,
  resourceInputPlugin,
  // outputs
  dropOutput,
  rejectOutput,
  stdoutOutput,
  fileOutputPlugin,
  inprocOutputPlugin,
  brokerOutputPlugin,
  switchOutputPlugin,
  fallbackOutputPlugin,
  retryOutputPlugin,
  dropOnOutputPlugin,
  rejectErroredOutputPlugin,
  resourceOutputPlugin,
  // caches
  memoryCachePlugin,
  lruCachePlugin,
  ttlruCachePlugin,
  // rate limits
  localRateLimitPlugin,
]
