import { describe, expect, test } from 'vitest'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

describe('grok', () => {
  test('named captures with type hints, nested custom patterns, keys sorted', async () => {
    const p = await buildProcessor({
      grok: {
        expressions: ['%{LINE}'],
        pattern_definitions: {
          LINE: '%{WORD:first},%{INT:second:int} %{NUMBER:third:float}%{GREEDYDATA:rest}',
        },
      },
    })
    expect(texts(await run(p, batchOf('foo,12 1.5')))).toEqual([['{"first":"foo","second":12,"third":1.5}']])
  })

  test('the first expression that matches wins; no match flags the message', async () => {
    const p = await buildProcessor({ grok: { expressions: ['^%{INT:n:int}$', '^%{IPV4:ip}$'] } })
    const [batch] = await run(p, batchOf('42', '10.0.0.1', 'nope'))
    expect(batch!.map((m) => m.text())).toEqual(['{"n":42}', '{"ip":"10.0.0.1"}', 'nope'])
    expect(batch![2]!.error?.message).toBe('no pattern matches found')
  })

  test('an unknown pattern is a start error', async () => {
    await expect(buildProcessor({ grok: { expressions: ['%{NOPE:x}'] } })).rejects.toThrow(
      'no pattern found for %{NOPE}',
    )
  })
})
