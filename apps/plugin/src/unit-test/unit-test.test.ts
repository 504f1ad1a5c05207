import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Message, silentLogger, standardEnvironment } from '@bento-ts/core'
import { describe, expect, test } from 'vitest'
import { parseDocument } from 'yaml'
import { compileConditions, metadataValueEquals } from './conditions.ts'
import { caseProcessors, labelPaths, pointerSegments } from './processors.ts'
import { runTests } from './run.ts'
import { findTargets, pathPair } from './targets.ts'

const env = standardEnvironment()

describe('conditions', () => {
  const check = (conditions: object, content: string, meta: [string, unknown][] = []) =>
    compileConditions(conditions, '.').check(new Message(content, meta))

  test('json_equals compares structure, keeps number text, and json_contains accepts a superset', () => {
    expect(check({ json_equals: { a: 1, b: [1, 2] } }, '{"b":[1,2],"a":1}')).toEqual([])
    expect(check({ json_equals: '{"a":1}' }, '{"a":1.0}')).toHaveLength(1)
    expect(check({ json_contains: { a: { b: 1 }, c: [1] } }, '{"a":{"b":1,"x":2},"c":[1,2]}')).toEqual([])
    expect(check({ json_contains: { a: 2 } }, '{"a":1}')[0]).toMatch(/^json_contains: JSON superset mismatch/)
    expect(check({ json_equals: {} }, 'nope')[0]).toBe(
      'json_equals: JSON content mismatch\nfirst argument is invalid json',
    )
  })

  test('metadata values compare as Bento does: numbers by value, bytes as text, structures deeply', () => {
    expect(metadataValueEquals(5, 5n)).toBe(true)
    expect(metadataValueEquals('x', new TextEncoder().encode('x'))).toBe(true)
    expect(metadataValueEquals({ a: [1] }, { a: [1] })).toBe(true)
    expect(metadataValueEquals({ a: [1] }, { a: [1], b: 2 })).toBe(false)
    expect(check({ metadata_equals: { k: 'v' } }, 'x')).toEqual([
      "metadata_equals: metadata key 'k' expected but not found",
    ])
  })

  test('every failing condition is a reason, in the order of the field names', () => {
    expect(
      check({ content_matches: '^a+$', content_equals: 'b', bloblang: 'content() == "aaa"' }, 'aaa'),
    ).toEqual(['content_equals: content mismatch\n  expected: b\n  received: aaa'])
    // a string result is read as JSON again, as Bento's QueryPart does (`bento test` says the same)
    expect(check({ bloblang: 'this.a' }, '{"a":"x"}')).toEqual([
      "bloblang: invalid character 'x' looking for beginning of value",
    ])
    expect(check({ bloblang: 'this.a' }, '{"a":1}')).toEqual([
      'bloblang: expected bool value, got number from mapping (1)',
    ])
  })
})

describe('targets', () => {
  test('a config and its test definition file, from either name', () => {
    expect(pathPair('dir/a.yaml')).toEqual({
      config: 'dir/a.yaml',
      definitions: ['dir/a_bento_test.yaml', 'dir/a_benthos_test.yaml'],
    })
    expect(pathPair('dir/a_bento_test.yaml')).toEqual({
      config: 'dir/a.yaml',
      definitions: ['dir/a_bento_test.yaml'],
    })
    expect(pathPair('a_benthos_test.yml').config).toBe('a.yml')
  })

  test('cases are found inside configs and beside them, with their lines; configs without tests are skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'targets-'))
    mkdirSync(join(dir, 'sub'))
    writeFileSync(join(dir, 'a.yaml'), 'tests:\n  - name: one\n\n  - name: two\n')
    writeFileSync(join(dir, 'sub', 'b.yaml'), 'pipeline:\n  processors: []\n')
    writeFileSync(join(dir, 'sub', 'b_bento_test.yaml'), 'tests:\n  - name: three\n')
    writeFileSync(join(dir, 'c.yaml'), 'input:\n  stdin: {}\n')
    const targets = findTargets([`${dir}/...`], env)
    expect(
      targets.map((t) => [t.config.slice(dir.length), t.cases.map((c) => `${c.name}@${c.line}`)]),
    ).toEqual([
      ['/a.yaml', ['one@2', 'two@4']],
      ['/sub/b.yaml', ['three@2']],
    ])
  })
})

describe('processors of a case', () => {
  test('JSON pointers and labels', () => {
    expect(pointerSegments('/pipeline/processors/0')).toEqual(['pipeline', 'processors', '0'])
    expect(pointerSegments('/a~1b/c~0d')).toEqual(['a/b', 'c~d'])
    const doc = parseDocument(
      'pipeline:\n  processors:\n    - label: x\n      noop: {}\ntests:\n  - label: nope\n',
    )
    expect([...labelPaths(doc)]).toEqual([['x', ['pipeline', 'processors', 0]]])
  })

  test('mocks replace processors by label and by pointer; a mock without a label keeps the old one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mocks-'))
    const config = join(dir, 'c.yaml')
    writeFileSync(
      config,
      'pipeline:\n  processors:\n    - label: api\n      sleep:\n        duration: 1h\n    - mapping: root = content().uppercase()\n',
    )
    const built = await caseProcessors(
      {
        name: 'x',
        target_processors: '/pipeline/processors',
        target_mapping: '',
        mocks: {
          api: { mapping: 'root = content() + " mocked"' },
          '/pipeline/processors/-': { mapping: 'root = content() + "!"' },
        },
      },
      config,
      env,
      { resources: [], logger: silentLogger },
    )
    let batch = [new Message('hi')]
    for (const p of built.processors) batch = (await p.process(batch))[0]!
    expect(batch[0]!.text()).toBe('HI MOCKED!')
    await built.close()
  })
})

describe('test command', () => {
  test('report and verdict: a passing and a failing config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-'))
    writeFileSync(
      join(dir, 'good.yaml'),
      'pipeline:\n  processors:\n    - mapping: root = content().uppercase()\ntests:\n  - name: up\n    input_batch:\n      - content: a\n    output_batches:\n      - - content_equals: A\n',
    )
    writeFileSync(
      join(dir, 'bad.yaml'),
      'pipeline:\n  processors:\n    - mapping: root = content()\ntests:\n  - name: same\n    input_batch:\n      - content: a\n    output_batches:\n      - - content_equals: b\n      - - content_equals: c\n',
    )
    let out = ''
    const passed = await runTests([`${dir}/...`], env, {
      resources: [],
      logger: silentLogger,
      write: (t) => {
        out += t
      },
      writeError: (t) => {
        out += t
      },
    })
    expect(passed).toBe(false)
    expect(out.replaceAll(dir, 'D')).toBe(
      "Test 'D/bad.yaml' failed\nTest 'D/good.yaml' succeeded\n\nFailures:\n\n--- D/bad.yaml ---\n\nsame [line 5]:\nwrong batch count, expected 2, got 1\nbatch 0 message 0: content_equals: content mismatch\n  expected: b\n  received: a\n",
    )
  })
})
