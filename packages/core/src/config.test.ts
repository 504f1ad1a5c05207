import { describe, expect, test } from 'vitest'
import { formatProblem, substituteEnv } from './config.ts'
import { lintStreamConfig, loadStreamConfig } from './run.ts'
import { standardEnvironment } from './standard.ts'

const env = standardEnvironment()
const lint = (text: string, vars: Record<string, string> = {}) =>
  lintStreamConfig(text, env, { file: 'stream.yaml', vars }).map(formatProblem)

describe('lint', () => {
  test('a valid config has no problems and gets Bento defaults', () => {
    const text = 'input:\n  generate:\n    mapping: root = 1\noutput:\n  drop: {}\n'
    expect(lint(text)).toEqual([])
    const config = loadStreamConfig(text, env, { vars: {} })
    expect(config.input).toMatchObject({
      type: 'generate',
      label: '',
      config: { mapping: 'root = 1', interval: '1s', count: 0, batch_size: 1, auto_replay_nacks: true },
    })
    expect(config.pipeline).toEqual({ threads: -1, processors: [] })
    expect(config.shutdown_timeout).toBe('20s')
  })

  test('an unknown field names the file, line:column and path, and suggests the closest field', () => {
    expect(lint('input:\n  generate:\n    mapping: root = 1\n    intervall: 1s\n')).toEqual([
      'stream.yaml:4:5: input.generate.intervall: field intervall is not recognised; did you mean "interval"?',
    ])
  })

  test('an unknown component type suggests the closest registered one', () => {
    expect(lint('output:\n  stdot: {}\n')).toEqual([
      'stream.yaml:2:3: output.stdot: unknown output type "stdot"; did you mean "stdout"?',
    ])
  })

  test('wrong types, missing required fields and bad durations are each reported', () => {
    expect(
      lint('input:\n  generate:\n    count: lots\n    interval: 5 seconds\nshutdown_timeout: 1x\n'),
    ).toEqual([
      'stream.yaml:3:5: input.generate.mapping: field mapping is required',
      'stream.yaml:3:12: input.generate.count: expected an integer, got string "lots"',
      'stream.yaml:5:19: shutdown_timeout: invalid duration "1x": expected a number and a unit (ns, us, ms, s, m, h)',
    ])
  })

  test('a Bloblang mapping that does not parse is reported where it is, with Bento’s message', () => {
    const problems = lint('pipeline:\n  processors:\n    - mapping: root = this.\n')
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(
      /^stream\.yaml:3:16: pipeline\.processors\.0\.mapping: failed to parse mapping: line 1 char 13: /,
    )
  })

  test('two component types in one place is a problem', () => {
    expect(lint('output:\n  drop: {}\n  stdout: {}\n')).toEqual([
      'stream.yaml:2:3: output: a output has exactly one type, found drop, stdout',
    ])
  })

  test('invalid YAML is reported with its position', () => {
    expect(lint('input:\n  generate: [\n')[0]).toMatch(/^stream\.yaml:\d+:\d+: invalid YAML: /)
  })

  test('labels must be lower case identifiers', () => {
    expect(lint('output:\n  label: My-Out\n  drop: {}\n')).toEqual([
      'stream.yaml:2:10: output.label: label "My-Out" must be lower case letters, digits and underscores',
    ])
  })
})

describe('secrets', () => {
  test('a wrongly typed secret is reported without its value', async () => {
    const { parseConfig } = await import('./config.ts')
    const { field } = await import('./spec.ts')
    const { problems } = parseConfig(
      'password: 123456789\n',
      [field.string('password', { secret: true })],
      env,
      {
        file: 'c.yaml',
        vars: {},
      },
    )
    expect(problems.map(formatProblem)).toEqual([])
    const typed = parseConfig('token: [s3cr3t]\n', [field.string('token', { secret: true })], env, {
      file: 'c.yaml',
      vars: {},
    })
    expect(typed.problems.map(formatProblem).join('\n')).not.toContain('s3cr3t')
    const numeric = parseConfig('pin: hunter2\n', [field.int('pin', { secret: true })], env, {
      file: 'c.yaml',
      vars: {},
    })
    expect(numeric.problems.map(formatProblem)).toEqual([
      'c.yaml:1:6: pin: expected an integer, got a string (value hidden: secret field)',
    ])
  })
})

describe('environment variables', () => {
  test('${VAR} and ${VAR:default} are replaced before parsing', () => {
    expect(substituteEnv('a: ${A}\nb: ${B:two}\nc: ${! meta("x") }', { A: 'one' }).text).toBe(
      'a: one\nb: two\nc: ${! meta("x") }',
    )
  })

  test('an unset variable without a default is a problem naming it and its place', () => {
    expect(lint('input:\n  generate:\n    mapping: root = "${GREETING}"\n')).toEqual([
      'stream.yaml:3:22: environment variable GREETING is not set and ${GREETING} has no default; set it or write ${GREETING:default}',
    ])
  })
})

describe('lint options', () => {
  const options = (text: string, o: object) =>
    lintStreamConfig(text, env, { file: 'stream.yaml', vars: {}, ...o }).map(formatProblem)

  test('--labels: every component but a resource reference needs a label', () => {
    expect(
      options(
        'input:\n  generate:\n    mapping: root = 1\npipeline:\n  processors:\n    - label: m\n      mapping: root = 2\n    - resource: r\n',
        { requireLabels: true },
      ),
    ).toEqual(['stream.yaml:2:3: input: label is required for generate'])
  })

  test('--skip-env-var-check: an unset variable without a default is not a problem', () => {
    const text = 'input:\n  generate:\n    mapping: root = "${NOPE_NOT_SET}"\n'
    expect(options(text, {})).toHaveLength(1)
    expect(options(text, { skipEnvVarCheck: true })).toEqual([])
  })

  test('tests: a misspelt test field is a problem at its position', () => {
    expect(
      options(
        'tests:\n  - name: a\n    input_batch:\n      - contnet: x\n    output_batches:\n      - - content_equal: x\n',
        {},
      ),
    ).toEqual([
      'stream.yaml:4:9: tests.0.input_batch.0.contnet: field contnet is not recognised; did you mean "content"?',
      'stream.yaml:6:11: tests.0.output_batches.0.0.content_equal: field content_equal is not recognised; did you mean "content_equals"?',
    ])
  })

  test('a block scalar ending the file without a line break has no trailing newline, as in Go YAML', () => {
    const config = loadStreamConfig('pipeline:\n  processors:\n    - mapping: |\n        root = 1', env, {
      vars: {},
    })
    expect(config.pipeline.processors[0]!.config).toBe('root = 1')
  })
})
