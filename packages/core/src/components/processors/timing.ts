// Processors that wait: rate_limit and sleep.

import type { Plugin, RateLimit } from '../../component.ts'
import type { Batch } from '../../message.ts'
import { field } from '../../spec.ts'
import { BatchView, durationMs, errorOf, interpolated, sleepFor } from './util.ts'

export const rateLimitProcessor: Plugin<'processor'> = {
  spec: {
    name: 'rate_limit',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary:
      'Throttles the throughput of a pipeline according to a specified `rate_limit` resource. Rate limits are shared across components and therefore apply globally to all processing pipelines.',
    fields: [
      field.string('resource', { resource: 'rate_limit', description: 'The target `rate_limit` resource.' }),
    ],
  },
  create(config: { resource: string }, context) {
    let limit: RateLimit
    try {
      limit = context.resources.rateLimit(config.resource)
    } catch (err) {
      throw new Error(`rate limit resource '${config.resource}' was not found`, { cause: err })
    }
    const logger = context.logger
    const abort = new AbortController()
    const acquire = async (): Promise<void> => {
      for (;;) {
        let wait: number
        try {
          wait = await limit.access(abort.signal)
        } catch (err) {
          if (abort.signal.aborted) throw new Error('type was closed')
          logger.error(`Failed to access rate limit: ${errorOf(err).message}`)
          wait = 1000
        }
        if (wait <= 0) return
        if (!(await sleepFor(wait, abort.signal))) throw new Error('type was closed')
      }
    }
    return {
      async process(batch: Batch): Promise<Batch[]> {
        // one access per message, as Bento's per-message processor does
        for (let i = 0; i < batch.length; i++) await acquire()
        return [batch]
      },
      async close() {
        abort.abort()
      },
    }
  },
}

export const sleepProcessor: Plugin<'processor'> = {
  spec: {
    name: 'sleep',
    kind: 'processor',
    status: 'stable',
    categories: ['Utility'],
    summary:
      'Sleep for a period of time specified as a duration string for each message. This processor will interpolate functions within the `duration` field.',
    fields: [
      field.interpolated('duration', { description: 'The duration of time to sleep for each execution.' }),
    ],
  },
  create(config: { duration: string }, context) {
    const duration = interpolated(config.duration, 'duration')
    let staticMs: number | undefined
    try {
      staticMs = duration.isStatic ? durationMs(config.duration) : undefined
    } catch {
      // logged per message, as Bento does
    }
    const logger = context.logger
    const abort = new AbortController()
    return {
      async process(batch: Batch): Promise<Batch[]> {
        const view = new BatchView(batch)
        for (let i = 0; i < batch.length; i++) {
          let ms = staticMs
          if (ms === undefined) {
            let text: string
            try {
              text = duration.text(view, i)
            } catch (err) {
              logger.error(`Period interpolation error: ${errorOf(err).message}`)
              continue
            }
            try {
              ms = durationMs(text)
            } catch (err) {
              logger.error(`Failed to parse duration: ${errorOf(err).message}`)
              continue
            }
          }
          if (ms <= 0) continue
          if (!(await sleepFor(ms, abort.signal))) throw new Error('processor stopped')
        }
        return [batch]
      },
      async close() {
        abort.abort()
      },
    }
  },
}
