// Processors that repeat their children: while and retry.

import { type Executor, parse } from '@bento-ts/bloblang'
import type { ParsedComponent, Plugin } from '../../component.ts'
import { goDuration, parseDuration } from '../../duration.ts'
import type { Batch, Message } from '../../message.ts'
import { field } from '../../spec.ts'
import { exponentialBackoff } from '../io/channel.ts'
import { BatchView, closeAll, errorOf, queryBool, runAll, sleepFor, wrapError } from './util.ts'

interface WhileConfig {
  at_least_once: boolean
  max_loops: number
  check: string
  processors: ParsedComponent[]
}

export const whileProcessor: Plugin<'processor'> = {
  spec: {
    name: 'while',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'A processor that checks a Bloblang query against each batch of messages and executes child processors on them for as long as the query resolves to true.',
    description:
      'The check runs against the first message of the batch. `at_least_once` runs the children once before the first check; `max_loops` caps the loops. When a loop leaves no messages the loop ends; when it leaves several batches the check reads the first.',
    fields: [
      field.bool('at_least_once', {
        default: false,
        description: 'Whether to always run the child processors at least one time.',
      }),
      field.int('max_loops', {
        default: 0,
        advanced: true,
        description: 'An optional maximum number of loops to execute (0: no limit).',
      }),
      field.bloblang('check', {
        default: '',
        description: 'A Bloblang query that returns a boolean: whether to run the children (again).',
        examples: ['errored()', 'this.urls.unprocessed.length() > 0'],
      }),
      field.array('processors', 'processor', { description: 'Processors to execute each loop.' }),
    ],
  },
  async create(config: WhileConfig, context) {
    if (config.check === '') throw new Error('a check query is required')
    let check: Executor
    try {
      check = parse(config.check)
    } catch (err) {
      throw wrapError('failed to parse check query', err)
    }
    const children = await context.build.processors(config.processors ?? [])
    const logger = context.logger
    const abort = new AbortController()
    const test = (batch: Batch): boolean => {
      try {
        return queryBool(check, new BatchView(batch), 0)
      } catch (err) {
        logger.error(`Query failed for loop: ${errorOf(err).message}`)
        return false
      }
    }
    return {
      async process(batch: Batch): Promise<Batch[]> {
        let batches: Batch[] = [batch]
        let loops = 0
        let again = config.at_least_once || test(batch)
        while (again) {
          if (abort.signal.aborted) throw new Error('processor closed')
          if (config.max_loops > 0 && loops >= config.max_loops) {
            logger.trace('Reached max loops count')
            break
          }
          batches = await runAll(children, batches)
          if (batches.length === 0) return []
          again = test(batches[0]!)
          loops++
        }
        return batches
      },
      async close() {
        abort.abort()
        await closeAll(children)
      },
    }
  },
}

interface RetryConfig {
  backoff: { initial_interval: string; max_interval: string; max_elapsed_time: string }
  processors: ParsedComponent[]
  parallel: boolean
  max_retries: number
}

export const retryProcessor: Plugin<'processor'> = {
  spec: {
    name: 'retry',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'Attempts to execute a series of child processors until success, re-running each failed message from how it was when it reached the retry.',
    description:
      'Each message is retried on its own. When the backoff gives up (max_elapsed_time) or max_retries is reached the failed results pass on. Errors a message carries into the retry are cleared. Adds metadata `retry_count` and `backoff_duration` to each resulting message.',
    fields: [
      field.object(
        'backoff',
        [
          field.duration('initial_interval', {
            default: '500ms',
            description: 'The initial period to wait between retry attempts.',
            examples: ['50ms', '1s'],
          }),
          field.duration('max_interval', {
            default: '10s',
            description: 'The maximum period to wait between retry attempts',
            examples: ['5s', '1m'],
          }),
          field.duration('max_elapsed_time', {
            default: '1m',
            description:
              'The maximum overall period of time to spend on retry attempts before the request is aborted. Setting this value to a zeroed duration (such as `0s`) will result in unbounded retries.',
            examples: ['1m', '1h'],
          }),
        ],
        {
          default: { initial_interval: '500ms', max_interval: '10s', max_elapsed_time: '1m' },
          description: 'Determine time intervals and cut offs for retry attempts.',
        },
      ),
      field.array('processors', 'processor', {
        description: 'A list of processors to execute on each message.',
      }),
      field.bool('parallel', {
        default: false,
        description:
          'When processing batches of messages these batches are ignored and the processors apply to each message sequentially. However, when this field is set to `true` each message will be processed in parallel.',
      }),
      field.int('max_retries', {
        default: 0,
        description:
          'The maximum number of retry attempts before the request is aborted. Setting this value to `0` will result in unbounded number of retries.',
      }),
    ],
  },
  async create(config: RetryConfig, context) {
    if ((config.processors ?? []).length === 0)
      throw new Error('at least one child processor must be specified')
    const children = await context.build.processors(config.processors)
    const initialMs = parseDuration(config.backoff.initial_interval)
    const maxMs = parseDuration(config.backoff.max_interval)
    const maxElapsedMs = parseDuration(config.backoff.max_elapsed_time)
    const logger = context.logger
    const abort = new AbortController()

    const dispatch = async (message: Message): Promise<Message[]> => {
      const next = exponentialBackoff({ initialMs, maxMs, maxElapsedMs, maxRetries: 0 })
      let retries = 0
      let waitedMs = 0
      message.error = undefined
      let results: Message[]
      for (;;) {
        results = (await runAll(children, [[message.copy()]])).flat()
        if (!results.some((m) => m.error !== undefined)) break
        retries++
        if (retries === config.max_retries) {
          logger.debug('Error occurred and maximum number of retries was reached.')
          break
        }
        const wait = next()
        if (wait === undefined) {
          logger.debug('Error occurred and maximum wait period was reached.')
          break
        }
        waitedMs += wait
        logger.debug('Error occurred, sleeping for next backoff period.', { backoff: goDuration(wait) })
        if (!(await sleepFor(wait, abort.signal))) throw new Error('processor closed')
      }
      for (const m of results) {
        m.metadata.set('retry_count', retries)
        m.metadata.set('backoff_duration', goDuration(waitedMs))
      }
      return results
    }

    return {
      async process(batch: Batch): Promise<Batch[]> {
        const out: Message[] = []
        if (config.parallel) {
          for (const r of await Promise.all(batch.map(dispatch))) out.push(...r)
        } else {
          for (const m of batch) out.push(...(await dispatch(m)))
        }
        return [out]
      },
      async close() {
        abort.abort()
        await closeAll(children)
      },
    }
  },
}
