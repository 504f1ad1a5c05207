import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { Message } from '../../message.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

describe('jmespath', () => {
  test('replaces the message with the query result', async () => {
    const p = await buildProcessor({
      jmespath: { query: "locations[?state == 'WA'].name | sort(@) | {Cities: join(', ', @)}" },
    })
    const doc =
      '{"locations":[{"name":"Seattle","state":"WA"},{"name":"New York","state":"NY"},{"name":"Bellevue","state":"WA"},{"name":"Olympia","state":"WA"}]}'
    expect(texts(await run(p, batchOf(doc)))).toEqual([['{"Cities":"Bellevue, Olympia, Seattle"}']])
  })

  test('non-JSON payloads are flagged; bad queries fail the config', async () => {
    const p = await buildProcessor({ jmespath: { query: 'a.b' } })
    const out = await run(p, batchOf('{"a":{"b":1.5}}', 'nope'))
    expect(texts(out)).toEqual([['1.5', 'nope']])
    expect(out[0]![1]!.error).toBeDefined()
    await expect(buildProcessor({ jmespath: { query: 'a[' } })).rejects.toThrow(
      /^test.jmespath: failed to compile JMESPath query: |^failed to compile JMESPath query: /,
    )
  })
})

const schema = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['lastName'],
  properties: {
    firstName: { type: 'string' },
    lastName: { type: 'string' },
    age: { type: 'integer', minimum: 0 },
  },
})

describe('json_schema', () => {
  test('valid messages pass untouched; invalid ones are flagged in the words of Bento', async () => {
    const p = await buildProcessor({ json_schema: { schema } })
    const out = await run(
      p,
      batchOf('{"firstName":"John","lastName":"Doe","age":21}', '{"firstName":"John","age":-21}'),
    )
    expect(out[0]![0]!.error).toBeUndefined()
    expect(out[0]![1]!.error?.message).toBe(
      '(root) lastName is required\nage must be greater than or equal to 0',
    )
    expect(out[0]![1]!.text()).toBe('{"firstName":"John","age":-21}')
    const [[typed]] = (await run(p, batchOf('{"lastName":5}'))) as [[Message]]
    expect(typed.error?.message).toBe('lastName invalid type. expected: string, given: integer')
  })

  test('schema_path reads file:// schemas; a schema is required', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bento-schema-'))
    writeFileSync(join(dir, 's.json'), schema)
    const p = await buildProcessor({ json_schema: { schema_path: `file://${join(dir, 's.json')}` } })
    const [[m]] = (await run(p, batchOf('{}'))) as [[Message]]
    expect(m.error?.message).toBe('(root) lastName is required')
    await expect(buildProcessor({ json_schema: {} })).rejects.toThrow(
      'either schema or schema_path must be provided',
    )
    await expect(buildProcessor({ json_schema: { schema_path: '/x.json' } })).rejects.toThrow(
      'invalid schema_path provided, must start with file:// or http://',
    )
  })
})
