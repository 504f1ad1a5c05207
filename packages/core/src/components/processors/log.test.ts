import { describe, expect, test } from 'vitest'
import { Message } from '../../message.ts'
import { batchOf, buildProcessor, recordingLogger, run, texts } from './testkit.ts'

describe('log', () => {
  test('logs the interpolated message at the level, with fields from fields_mapping; messages pass unchanged', async () => {
    const logger = recordingLogger()
    const p = await buildProcessor(
      {
        log: {
          level: 'WARN',
          message: 'got ${! this.id } from ${! @source }',
          fields_mapping: 'root.id = this.id\nroot.big = this.id > 1',
        },
      },
      { logger },
    )
    const out = await run(p, [
      new Message('{"id":1}', [['source', 'x']]),
      new Message('{"id":2}', [['source', 'y']]),
    ])
    expect(texts(out)).toEqual([['{"id":1}', '{"id":2}']])
    expect(logger.lines).toEqual([
      { level: 'warn', message: 'got 1 from x', fields: { big: false, id: 1 } },
      { level: 'warn', message: 'got 2 from y', fields: { big: true, id: 2 } },
    ])
  })

  test('a failing fields mapping is logged as an error instead', async () => {
    const logger = recordingLogger()
    const p = await buildProcessor(
      { log: { message: 'hi', fields_mapping: 'root.x = this.nope.uppercase()' } },
      { logger },
    )
    await run(p, batchOf('{}'))
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]!.level).toBe('error')
    expect(logger.lines[0]!.message).toMatch(/^Failed to execute fields mapping: /)
  })

  test('defaults to INFO; FATAL and ALL are accepted by the spec but not by the processor, as in Bento', async () => {
    const logger = recordingLogger()
    const p = await buildProcessor({ log: { message: 'plain' } }, { logger })
    await run(p, batchOf('a'))
    expect(logger.lines).toEqual([{ level: 'info', message: 'plain' }])
    await expect(buildProcessor({ log: { level: 'FATAL' } })).rejects.toThrow(
      'log level not recognised: FATAL',
    )
  })
})
