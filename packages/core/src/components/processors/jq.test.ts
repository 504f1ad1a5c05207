import { describe, expect, test } from 'vitest'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

describe('jq', () => {
  test("Bento's example: one result replaces the message, with sorted keys", async () => {
    const p = await buildProcessor({
      jq: { query: '{Cities: .locations | map(select(.state == "WA").name) | sort | join(", "), a: 1}' },
    })
    const doc =
      '{"locations":[{"name":"Seattle","state":"WA"},{"name":"NY","state":"NY"},{"name":"Olympia","state":"WA"}]}'
    expect(texts(await run(p, batchOf(doc)))).toEqual([['{"Cities":"Olympia, Seattle","a":1}']])
  })

  test('no result filters the message; several make an array; raw and output_raw', async () => {
    const filter = await buildProcessor({ jq: { query: '.[] | select(. > 1)' } })
    expect(texts(await run(filter, batchOf('[0,1]', '[1,2,3]')))).toEqual([['[2,3]']])
    const raw = await buildProcessor({ jq: { query: 'ascii_upcase', raw: true, output_raw: true } })
    expect(texts(await run(raw, batchOf('hello')))).toEqual([['HELLO']])
  })

  test('a runtime error flags the message; a query that does not compile fails at start', async () => {
    const p = await buildProcessor({ jq: { query: '.a + 1' } })
    const [batch] = await run(p, batchOf('{"a":"x"}'))
    expect(batch![0]!.error?.message).toMatch(/cannot be added/)
    await expect(buildProcessor({ jq: { query: '.a |||' } })).rejects.toThrow('error parsing jq query')
  })
})
