import { type Executor, parse } from '@bento-ts/bloblang'
import type { ParsedComponent, Plugin, Processor } from '../../component.ts'
import type { Batch, Message } from '../../message.ts'
import { field } from '../../spec.ts'
import { BatchView, closeAll, fail, queryBool, runAll, wrapError } from './util.ts'

interface CaseConfig {
  check: string
  processors: ParsedComponent[]
  fallthrough: boolean
}

interface Case {
  check: Executor | undefined
  processors: Processor[]
  fallthrough: boolean
}

export const switchProcessor: Plugin<'processor'> = {
  spec: {
    name: 'switch',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'Conditionally processes messages based on their contents: each case has a check and processors, the first case that passes gets the message.',
    description:
      'Cases are tested in order. A message that passes a case is processed by it and tested no further, unless the case has `fallthrough: true`, in which case the next case also runs on it. A check that fails flags the message and it is tested against no other case.',
    value: field.array(
      '',
      [
        field.bloblang('check', {
          default: '',
          description:
            'A Bloblang query that returns a boolean: whether the processors of this case run on a message. Empty: the case always passes.',
          examples: ['this.type == "foo"'],
        }),
        field.array('processors', 'processor', {
          default: [],
          description: 'Processors to execute on a message.',
        }),
        field.bool('fallthrough', {
          default: false,
          advanced: true,
          description: 'Whether the next case should also be executed on a message that passes this case.',
        }),
      ],
      { default: [] },
    ),
  },
  async create(config: CaseConfig[], context) {
    const cases: Case[] = []
    for (const [i, c] of config.entries()) {
      try {
        const check = c.check === '' ? undefined : parse(c.check)
        if ((c.processors ?? []).length === 0) {
          throw new Error('case has no processors, in order to have a no-op case use a `noop` processor')
        }
        cases.push({
          check,
          processors: await context.build.processors(c.processors),
          fallthrough: c.fallthrough,
        })
      } catch (err) {
        throw wrapError(`case '${i}' parse error`, err)
      }
    }
    const logger = context.logger
    return {
      async process(batch: Batch): Promise<Batch[]> {
        // Messages keep their place in the batch: the rank of the message they came from.
        const rank = new Map<Message, number>()
        for (const [i, m] of batch.entries()) rank.set(m, i)
        const result: Message[] = []
        let remaining: Message[] = [...batch]
        let carryOver: Message[] = []
        for (const [i, c] of cases.entries()) {
          const passed = carryOver
          const failed: Message[] = []
          const view = new BatchView(remaining)
          for (let j = 0; j < remaining.length; j++) {
            const m = remaining[j]!
            let test = true
            if (c.check !== undefined) {
              try {
                test = queryBool(c.check, view, j)
              } catch (err) {
                logger.error(`Failed to test case ${i}: ${(err as Error).message}`)
                fail(m, wrapError(`failed to test case ${i}`, err))
                result.push(m)
                continue
              }
            }
            if (test) passed.push(m)
            else failed.push(m)
          }
          carryOver = []
          remaining = failed
          if (passed.length === 0) continue
          const before = passed.map((m) => rank.get(m) ?? batch.length)
          const out = (await runAll(c.processors, [passed])).flat()
          // A case that keeps the message count keeps positions; new messages inherit them.
          out.forEach((m, k) => {
            if (!rank.has(m)) rank.set(m, out.length === passed.length ? before[k]! : batch.length)
          })
          if (c.fallthrough) carryOver = out
          else result.push(...out)
        }
        // Unlike Bento, messages that fell through the last case are kept rather than lost.
        result.push(...carryOver, ...remaining)
        if (result.length === 0) return []
        if (result.length > 1) {
          const order = result.map((m, k) => [rank.get(m) ?? batch.length, k, m] as const)
          order.sort((a, b) => a[0] - b[0] || a[1] - b[1])
          return [order.map((o) => o[2])]
        }
        return [result]
      },
      close: () => closeAll(cases.flatMap((c) => c.processors)),
    }
  },
}
