import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { standardEnvironment } from '@bento-ts/core'
import { describe, expect, test } from 'vitest'
import { type Node, parseDocument, parse as parseYAML, type YAMLMap } from 'yaml'
import { createConfig } from './create.ts'
import { echoText } from './echo.ts'
import { pluginEnvironment } from './environment.ts'
import { listComponents } from './list.ts'
import { applySets } from './run-flags.ts'
import { mergePatch, subDocument } from './streams/api.ts'
import { streamFiles } from './streams/command.ts'
import { readStreamConfig } from './streams/config-text.ts'
import { lintTemplate, registerTemplates } from './templates.ts'

const env = standardEnvironment()
const pluginEnv = pluginEnvironment()

describe('--set', () => {
  test('values are YAML, paths are dotted, numbers index lists, --log.level sets the logger', () => {
    const out = applySets(
      'input:\n  generate:\n    mapping: root = 1\npipeline:\n  processors:\n    - noop: {}\n',
      ['input.generate.count=5', 'pipeline.processors.0=mapping: root = 2', 'http.enabled=false'],
      'debug',
    )
    expect(parseYAML(out)).toEqual({
      input: { generate: { mapping: 'root = 1', count: 5 } },
      pipeline: { processors: [{ mapping: 'root = 2' }] },
      http: { enabled: false },
      logger: { level: 'DEBUG' },
    })
    expect(() => applySets('{}', ['nope'])).toThrow('invalid --set "nope"')
  })
})

describe('streams', () => {
  test('ids come from file names below the directory given, / as _', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ids-'))
    mkdirSync(join(dir, 'team'))
    writeFileSync(join(dir, 'a.yaml'), '{}')
    writeFileSync(join(dir, 'team', 'b.yml'), '{}')
    writeFileSync(join(dir, 'notes.txt'), '')
    expect(
      streamFiles([dir])
        .map((f) => f.id)
        .sort(),
    ).toEqual(['a', 'team_b'])
    expect(streamFiles([join(dir, 'a.yaml')]).map((f) => f.id)).toEqual(['a'])
  })

  test('PATCH merges objects key by key; anything else is replaced', () => {
    expect(
      mergePatch(
        { input: { generate: { mapping: 'x', interval: '1s' } }, l: [1] },
        { input: { generate: { interval: '2s' } }, l: [2] },
      ),
    ).toEqual({
      input: { generate: { mapping: 'x', interval: '2s' } },
      l: [2],
    })
  })

  test('a stream of a POST /streams body keeps its lines, so lint problems point into the body', () => {
    const body = 'a:\n  input:\n    generate:\n      mappin: x\n'
    const node = (parseDocument(body).contents as YAMLMap).items[0]!.value as Node
    const text = subDocument(body, node)
    expect(text.split('\n')[3]).toBe('    mappin: x')
    const read = readStreamConfig(text, env, false)
    expect(read.ok === false && 'lints' in read ? read.lints.map((l) => l.slice(0, 3)) : read).toEqual([
      '(4,',
      '(4,',
    ])
  })

  test('--chilled runs a config whose only problems are ignored fields', () => {
    const text = 'input:\n  generate:\n    mapping: root = 1\n    colour: blue\n'
    expect(readStreamConfig(text, env, false).ok).toBe(false)
    expect(readStreamConfig(text, env, true).ok).toBe(true)
    expect(readStreamConfig('input:\n  generate: {}\n', env, true).ok).toBe(false)
  })
})

describe('templates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'templates-'))
  const file = join(dir, 'shout.yaml')
  writeFileSync(
    file,
    `name: shout_${process.pid}
type: processor
fields:
  - name: suffix
    type: string
    default: "!"
mapping: |
  root.mapping = "root = content().uppercase() + %q".format(this.suffix)
tests:
  - name: default suffix
    config: {}
    expected:
      mapping: 'root = content().uppercase() + "!"'
  - name: wrong expectation
    config:
      suffix: "?"
    expected:
      mapping: nope
`,
  )

  test('template lint runs the tests and reports the one whose expectation differs, at its line', () => {
    const problems = lintTemplate(file, env)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(
      /shout\.yaml:14:1: test 'wrong expectation': mismatch between expected and actual/,
    )
  })

  test('a registered template is a component: listed, and built as what its mapping says', async () => {
    const local = standardEnvironment()
    registerTemplates([file], local)
    expect(listComponents(local, ['processors'], 'text')).toContain(`shout_${process.pid}`)
    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, 'name: x\ntype: procesor\nmapping: root = 1\n')
    expect(() => registerTemplates([bad], standardEnvironment())).toThrow(
      /bad\.yaml:2:7: type: "procesor" is not one of/,
    )
  })
})

describe('create and list', () => {
  test('create puts the components named in place, at their defaults', () => {
    const text = createConfig('generate/mapping,noop/drop', env, true)
    const config = parseYAML(text) as Record<string, unknown>
    // a field without a default: its first example (as Bento writes it), or empty, with a comment
    expect(text).toContain('mapping: root = "hello world" # No default (required)')
    expect(text).toContain('- mapping: "" # No default (required)')
    expect(config).toMatchObject({
      input: { generate: { mapping: 'root = "hello world"', interval: '1s' } },
      pipeline: { processors: [{ mapping: '' }, { noop: {} }] },
      output: { drop: {} },
    })
    expect(() => createConfig('nope', env, true)).toThrow('unrecognised input type: nope')
  })

  test('json-full-scrubbed leaves out descriptions; --status filters', () => {
    const full = JSON.parse(listComponents(env, ['inputs'], 'json-full-scrubbed')) as {
      inputs: { description?: string }[]
    }
    expect(full.inputs.length).toBeGreaterThan(0)
    expect(full.inputs.every((i) => i.description === undefined)).toBe(true)
    expect(listComponents(env, ['inputs'], 'json', ['experimental-nothing'])).toBe('{\n  "inputs": []\n}')
  })
})

describe('echo', () => {
  test('variables resolved, --set applied, secrets scrubbed (in lists too), top-level defaults shown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'echo-'))
    const path = join(dir, 'c.yaml')
    writeFileSync(
      path,
      'input:\n  generate:\n    mapping: root = "${ECHO_TEST_UNSET:fallback}"\noutput:\n  aws_sqs:\n    url: http://x\n    credentials:\n      secret: hunter2\n',
    )
    const out = parseYAML(echoText(path, { set: ['input.generate.count=3'] }, pluginEnv)) as {
      input: unknown
      output: { aws_sqs: { credentials: { secret: string } } }
    }
    expect(out.input).toEqual({ generate: { mapping: 'root = "fallback"', count: 3 } })
    expect(out.output.aws_sqs.credentials.secret).toBe('!!!SECRET_SCRUBBED!!!')
    expect(Object.keys(out).slice(0, 4)).toEqual(['http', 'input', 'buffer', 'pipeline'])
  })
})
