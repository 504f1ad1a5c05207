// Outputs that route to child outputs: `switch`, `fallback`, `drop_on` and `reject_errored`.

import { type Executor, parse } from '@bento-ts/bloblang'
import { type ComponentContext, FieldError, type Output, parseField } from '../../component.ts'
import { isAbort } from '../../concurrency.ts'
import { goDuration, parseDuration } from '../../duration.ts'
import { defineOutput } from '../../kit/declare.ts'
import type { Logger } from '../../logger.ts'
import type { Batch, Message } from '../../message.ts'
import { type ConfigOf, field } from '../../spec.ts'
import { toInput } from '../processors/util.ts'
import { indefiniteBackoff, RetryingOutput } from './retry.ts'

// ---------------------------------------------------------------------------------------------
// switch

export interface SwitchCase {
  check: Executor | undefined
  output: Output
  continue: boolean
}

/** Whether a case's check passes for message `index` of the batch (Bento's QueryPart). */
function checkPasses(check: Executor, batch: Batch, index: number): boolean {
  const inputs = batch.length > 1 ? batch.map(toInput) : undefined
  const { value } = check.applyRaw(
    toInput(batch[index]!),
    inputs === undefined ? {} : { batch: inputs, index },
  )
  if (typeof value === 'boolean') return value
  if (typeof value === 'symbol')
    throw new Error('query mapping resulted in deleted message, expected a boolean value')
  throw new Error(`expected bool value, got ${value === null ? 'null' : typeof value}`)
}

export function switchOutput(cases: readonly SwitchCase[], strictMode: boolean, logger: Logger): Output {
  return {
    connect: async () => {},
    async close() {
      await Promise.allSettled(cases.map((c) => c.output.close()))
    },
    async write(batch, signal) {
      const targets: Message[][] = cases.map(() => [])
      for (let i = 0; i < batch.length; i++) {
        let routed = false
        for (let j = 0; j < cases.length; j++) {
          const c = cases[j]!
          let pass = true
          if (c.check !== undefined) {
            try {
              pass = checkPasses(c.check, batch, i)
            } catch (err) {
              pass = false
              logger.error(`Failed to test case ${j}: ${(err as Error).message}`)
            }
          }
          if (!pass) continue
          routed = true
          targets[j]!.push(batch[i]!.copy())
          if (!c.continue) break
        }
        if (!routed && strictMode) {
          logger.error(
            'Message failed to match against at least one output check with strict mode enabled, it will be nacked and/or re-processed',
          )
          throw new Error('no switch output conditions were met by message')
        }
      }
      const writes = targets.flatMap((parts, j) =>
        parts.length === 0 ? [] : [cases[j]!.output.write(parts, signal)],
      )
      const results = await Promise.allSettled(writes)
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed !== undefined) throw failed.reason
    },
  }
}

type SwitchConfig = ConfigOf<typeof switchFields>

export async function createSwitchOutput(
  config: SwitchConfig,
  context: ComponentContext,
  retryBackoff: () => () => number | undefined = indefiniteBackoff,
): Promise<Output> {
  if (config.cases.length < 2)
    throw new FieldError('cases', 'attempting to create switch with fewer than 2 cases')
  const cases: SwitchCase[] = []
  for (const [i, c] of config.cases.entries()) {
    const check = c.check === '' ? undefined : parseField(`cases.${i}.check`, () => parse(c.check))
    let output = await context.build.output(c.output)
    if (config.retry_until_success) output = new RetryingOutput(output, retryBackoff, context.logger)
    cases.push({ check, output, continue: c.continue })
  }
  return switchOutput(cases, config.strict_mode, context.logger)
}

const switchFields = [
  field.bool('retry_until_success', {
    default: false,
    description:
      'If a selected output fails to send a message this field determines whether it is reattempted indefinitely. If set to false the error is instead propagated back to the input level.',
  }),
  field.bool('strict_mode', {
    default: false,
    advanced: true,
    description:
      'This field determines whether an error should be reported if no condition is met. If set to true, an error is propagated back to the input level. The default behavior is false, which will drop the message.',
  }),
  field.array(
    'cases',
    [
      field.bloblang('check', {
        default: '',
        description:
          'A Bloblang query that should return a boolean value indicating whether a message should be routed to the case output. If left empty the case always passes.',
        examples: ['this.type == "foo"', 'this.contents.urls.contains("https://bento.dev/")'],
      }),
      field.output('output', {
        description: 'An output for messages that pass the check to be routed to.',
      }),
      field.bool('continue', {
        default: false,
        advanced: true,
        description:
          'Indicates whether, if this case passes for a message, the next case should also be tested.',
      }),
    ],
    { description: 'A list of switch cases, outlining outputs that can be routed to.' },
  ),
] as const

export const switchOutputPlugin = defineOutput({
  name: 'switch',
  status: 'stable',
  categories: ['Utility'],
  summary:
    'The switch output type allows you to route messages to different outputs based on their contents.',
  description:
    'Messages that do not pass the check of a single output case are effectively dropped. In order to prevent this outcome set the field `strict_mode` to `true`, in which case messages that do not pass at least one case are considered failed and will be nacked and/or reprocessed depending on your input.',
  fields: switchFields,
  create: (config, context) => createSwitchOutput(config, context),
})

// ---------------------------------------------------------------------------------------------
// fallback

/** Tries each output in order; the next one gets the batch with `fallback_error` set. */
export function fallbackOutput(outputs: readonly Output[]): Output {
  return {
    connect: async () => {},
    async close() {
      await Promise.allSettled(outputs.map((o) => o.close()))
    },
    async write(batch, signal) {
      let current = batch.map((m) => m.copy())
      for (let i = 0; ; i++) {
        try {
          await outputs[i]!.write(current, signal)
          return
        } catch (err) {
          if (signal.aborted || isAbort(err) || i === outputs.length - 1) throw err
          const reason = (err as Error).message
          current = batch.map((m) => {
            const copy = m.copy()
            copy.metadata.set('fallback_error', reason)
            return copy
          })
        }
      }
    },
  }
}

export const fallbackOutputPlugin = defineOutput({
  name: 'fallback',
  status: 'stable',
  categories: ['Utility'],
  summary:
    'Attempts to send each message to a child output, starting from the first output on the list. If an output attempt fails then the next output in the list is attempted, and so on.',
  description:
    'When a given output fails the message routed to the following output will have a metadata value named `fallback_error` containing a string error message outlining the cause of the failure.',
  value: field.array('fallback', 'output', { default: [] }),
  async create(parsed, context) {
    // The value is the whole config: the component's path (`output.fallback`) names it already.
    if (parsed.length === 0) throw new Error('attempting to create broker output type with no outputs')
    const outputs: Output[] = []
    for (const p of parsed) outputs.push(await context.build.output(p))
    return fallbackOutput(outputs)
  },
})

// ---------------------------------------------------------------------------------------------
// drop_on

export interface DropOnOptions {
  error: boolean
  errorPatterns: RegExp[]
  /** 0: off */
  backPressureMs: number
}

/**
 * Writes to the child one batch at a time; drops (acknowledges) instead of failing when the child
 * fails with a matching error, or takes longer than `back_pressure`. After a back-pressure drop,
 * batches are dropped at once until the child finished what it was stuck on.
 */
export function dropOnOutput(child: Output, o: DropOnOptions, logger: Logger): Output {
  let stuck: Promise<unknown> | undefined
  const backPressureError = () =>
    new Error(`experienced back pressure beyond: ${goDuration(o.backPressureMs)}`)
  const dropped = (): void => {
    logger.warn('Message dropped due to back pressure.')
    if (!o.error) throw backPressureError()
  }
  const judge = (err: Error): void => {
    if (o.error) {
      logger.warn(`Message dropped due to: ${err.message}`)
      return
    }
    for (const [i, pattern] of o.errorPatterns.entries()) {
      if (pattern.test(err.message)) {
        logger.warn(`Message dropped due to error matching pattern ${i}: ${err.message}`)
        return
      }
    }
    throw err
  }
  return {
    connect: async () => {},
    close: () => child.close(),
    maxInFlight: 1,
    async write(batch, signal) {
      if (o.backPressureMs <= 0) {
        try {
          await child.write(batch, signal)
        } catch (err) {
          if (signal.aborted || isAbort(err)) throw err
          judge(err as Error)
        }
        return
      }
      if (stuck !== undefined) return dropped()
      const write = child.write(batch, signal).then(
        () => undefined,
        (err: Error) => err,
      )
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), o.backPressureMs)
      })
      const outcome = await Promise.race([write, timeout])
      clearTimeout(timer)
      if (outcome === 'timeout') {
        const pending = write.finally(() => {
          if (stuck === pending) stuck = undefined
        })
        stuck = pending
        return dropped()
      }
      if (outcome !== undefined) {
        if (signal.aborted || isAbort(outcome)) throw outcome
        judge(outcome)
      }
    },
  }
}

export const dropOnOutputPlugin = defineOutput({
  name: 'drop_on',
  status: 'stable',
  categories: ['Utility'],
  summary:
    'Attempts to write messages to a child output and if the write fails for one of a list of configurable reasons the message is dropped (acked) instead of being reattempted (or nacked).',
  fields: [
    field.bool('error', {
      default: false,
      description: 'Whether messages should be dropped when the child output returns an error of any type.',
    }),
    field.array('error_patterns', 'string', {
      optional: true,
      description:
        'A list of regular expressions (re2) where if the child output returns an error that matches any part of any of these patterns the message will be dropped.',
      examples: [['and that was really bad$'], ['roughly [0-9]+ issues occurred']],
    }),
    field.duration('back_pressure', {
      optional: true,
      description:
        'An optional duration string that determines the maximum length of time to wait for a given message to be accepted by the child output before the message should be dropped instead.',
      examples: ['30s', '1m'],
    }),
    field.output('output', { description: 'A child output to wrap with this drop mechanism.' }),
  ],
  async create(config, context) {
    const patterns = config.error_patterns ?? []
    if (patterns.length > 0 && config.error) {
      throw new FieldError(
        'error_patterns',
        "field 'error_patterns' is ineffective when 'error' is set to `true`",
      )
    }
    const errorPatterns = patterns.map((p, i) => parseField(`error_patterns.${i}`, () => new RegExp(p)))
    const backPressure = config.back_pressure
    const backPressureMs =
      backPressure === undefined || backPressure === ''
        ? 0
        : parseField('back_pressure', () => parseDuration(backPressure))
    const child = await context.build.output(config.output)
    return dropOnOutput(child, { error: config.error, errorPatterns, backPressureMs }, context.logger)
  },
})

// ---------------------------------------------------------------------------------------------
// reject_errored

/**
 * Rejects (nacks with its error) a batch holding a message that a processor failed, so a
 * `fallback` sends it on to the next output; other batches go to the child. A batch is
 * rejected whole: writing its good messages and failing the rest would deliver them twice.
 */
export function rejectErroredOutput(child: Output): Output {
  return {
    connect: (signal) => child.connect(signal),
    async write(batch, signal) {
      const failed = batch.find((m) => m.error !== undefined)
      if (failed !== undefined) throw failed.error!
      await child.write(batch, signal)
    },
    close: () => child.close(),
    ...(child.maxInFlight === undefined ? {} : { maxInFlight: child.maxInFlight }),
  }
}

export const rejectErroredOutputPlugin = defineOutput({
  name: 'reject_errored',
  status: 'stable',
  categories: ['Utility'],
  summary:
    'Rejects messages that have failed their processing steps, resulting in nack behaviour at the input level, otherwise sends them to a child output.',
  description:
    'The error a message was flagged with is the rejection error. Combined with `fallback` it routes failed messages to a dead letter output.',
  value: field.output('reject_errored', { description: 'the output for messages that did not fail' }),
  async create(parsed, context) {
    return rejectErroredOutput(await context.build.output(parsed))
  },
})
