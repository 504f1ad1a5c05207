import { type Executor, parse } from '@bento-ts/bloblang'
import type { ParsedComponent, Plugin, Processor } from '../../component.ts'
import type { Batch } from '../../message.ts'
import { field } from '../../spec.ts'
import { BatchView, closeAll, errorOf, fail, interpolated, queryBool, runAll, wrapError } from './util.ts'

interface GroupConfig {
  check: string
  processors: ParsedComponent[]
}

export const groupByProcessor: Plugin<'processor'> = {
  spec: {
    name: 'group_by',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'Splits a batch of messages into N batches, where each resulting batch contains a group of messages determined by a Bloblang query.',
    description:
      'Each message goes to the first group whose check passes; the group runs its processors on its batch. Messages that match no group form a batch of their own, last.',
    value: field.array('', [
      field.bloblang('check', {
        description: 'A Bloblang query that returns a boolean: whether a message belongs to this group.',
        examples: ['this.type == "foo"'],
      }),
      field.array('processors', 'processor', {
        default: [],
        description: 'Processors to execute on the newly formed group.',
      }),
    ]),
  },
  async create(config: GroupConfig[], context) {
    const groups: { check: Executor; processors: Processor[] }[] = []
    for (const [i, g] of config.entries()) {
      try {
        groups.push({ check: parse(g.check), processors: await context.build.processors(g.processors ?? []) })
      } catch (err) {
        throw wrapError(`group '${i}' parse error`, err)
      }
    }
    const logger = context.logger
    return {
      async process(batch: Batch): Promise<Batch[]> {
        if (batch.length === 0) return []
        const grouped: Batch[] = groups.map(() => [])
        const groupless: Batch = []
        const view = new BatchView(batch)
        batch.forEach((m, i) => {
          for (const [j, g] of groups.entries()) {
            let passed = false
            try {
              passed = queryBool(g.check, view, i)
            } catch (err) {
              logger.error(`Failed to test group ${j}: ${errorOf(err).message}`)
            }
            if (passed) {
              grouped[j]!.push(m)
              return
            }
          }
          groupless.push(m)
        })
        const out: Batch[] = []
        for (const [i, g] of grouped.entries()) {
          if (g.length === 0) continue
          out.push(...(await runAll(groups[i]!.processors, [g])))
        }
        if (groupless.length > 0) out.push(groupless)
        return out
      },
      close: () => closeAll(groups.flatMap((g) => g.processors)),
    }
  },
}

export const groupByValueProcessor: Plugin<'processor'> = {
  spec: {
    name: 'group_by_value',
    kind: 'processor',
    status: 'stable',
    categories: ['Composition'],
    summary:
      'Splits a batch of messages into N batches, where each resulting batch contains a group of messages determined by an interpolated string evaluated per message.',
    fields: [
      field.interpolated('value', {
        description: 'The interpolated string to group based on.',
        examples: ['${! meta("kafka_key") }', '${! json("foo.bar") }-${! meta("baz") }'],
      }),
    ],
  },
  create(config: { value: string }, context) {
    const value = interpolated(config.value, 'value')
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        if (batch.length === 0) return []
        const groups = new Map<string, Batch>()
        const view = new BatchView(batch)
        batch.forEach((m, i) => {
          let key = ''
          try {
            key = value.text(view, i)
          } catch (err) {
            logger.error(`Group value interpolation error: ${errorOf(err).message}`)
            fail(m, wrapError('group value interpolation error', err))
          }
          const group = groups.get(key)
          if (group === undefined) groups.set(key, [m])
          else group.push(m)
        })
        return [...groups.values()]
      },
    }
  },
}
