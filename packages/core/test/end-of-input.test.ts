// Every finite input × every batching policy, at the input (broker) and at the output: when the
// input ends, every message read is delivered (the partial batch flushed), or the run fails
// loudly. Run through our CLI, as a user runs a config (stdin needs a process of its own).
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, test } from 'vitest'
import { engineCommand, runProcess, scratch } from './harness.ts'

const messages = Array.from({ length: 10 }, (_, i) => `m${i}`)

// None of them trips on the last messages: what is left at the end is a partial batch.
const policies: Record<string, string> = {
  count: '{ count: 4 }',
  byte_size: '{ byte_size: 7 }',
  period: '{ period: 1h }',
  check: '{ check: \'content() == "m3"\' }',
  processors: '{ count: 4, processors: [ { archive: { format: lines } } ] }',
}

const inputs: Record<string, (dir: string) => string> = {
  stdin: () => '{ stdin: {} }',
  file: (dir) => {
    writeFileSync(join(dir, 'in.txt'), `${messages.join('\n')}\n`)
    return `{ file: { paths: [ ${join(dir, 'in.txt')} ] } }`
  },
  generate: () =>
    '{ generate: { count: 10, interval: \'\', mapping: \'root = "m%v".format(count("g") - 1)\' } }',
  csv: (dir) => {
    writeFileSync(join(dir, 'in.csv'), `v\n${messages.join('\n')}\n`)
    return `{ csv: { paths: [ ${join(dir, 'in.csv')} ] }, processors: [ { mapping: 'root = this.v' } ] }`
  },
  // m0…m4 from the first input, m5…m9 from the second
  sequence: () =>
    `{ sequence: { inputs: [ ${[0, 5].map((from) => `{ generate: { count: 5, interval: '', mapping: 'root = "m%v".format(count("s${from}") + ${from - 1})' } }`).join(', ')} ] } }`,
  // an endless input, ended by the check on m9
  read_until: () =>
    `{ read_until: { check: 'content() == "m9"', input: { generate: { interval: '', mapping: 'root = "m%v".format(count("r") - 1)' } } } }`,
}

function config(site: 'input' | 'output', input: string, policy: string): string {
  const batching = `batching: ${policy}`
  return [
    'http: { enabled: false }',
    site === 'input' ? `input: { broker: { inputs: [ ${input} ], ${batching} } }` : `input: ${input}`,
    'pipeline: { threads: 1 }',
    site === 'output'
      ? `output: { broker: { outputs: [ { stdout: {} } ], ${batching} } }`
      : 'output: { stdout: {} }',
    '',
  ].join('\n')
}

const cases = Object.keys(inputs).flatMap((input) =>
  (['input', 'output'] as const).flatMap((site) =>
    Object.keys(policies).map((policy) => ({ input, site, policy })),
  ),
)

describe('a finite input delivers every message at its end, whatever the batching', () => {
  test.each(cases)('$input, batching at the $site by $policy', async ({ input, site, policy }) => {
    const work = scratch('end-of-input')
    try {
      const path = join(work.dir, 'config.yaml')
      writeFileSync(path, config(site, inputs[input]!(work.dir), policies[policy]!))
      const stdinFile = join(work.dir, 'stdin.txt')
      writeFileSync(stdinFile, input === 'stdin' ? `${messages.join('\n')}\n` : '')
      const [command, args] = engineCommand('ours', '', ['run', '-c', path])
      const run = await runProcess(command, args, { stdin: stdinFile, timeoutMs: 20_000 })
      expect(run.timedOut, `the run hung\n${run.stderr}`).toBe(false)
      expect(run.code, run.stderr).toBe(0)
      const delivered = run.stdout.split('\n').filter((l) => l !== '')
      expect(delivered.sort()).toEqual([...messages].sort())
    } finally {
      work.cleanup()
    }
  })
})

test('a stream that stalls with messages under way exits 1 saying so, instead of Node exiting 0', async () => {
  const work = scratch('stall')
  try {
    // An input that hands out one message, then waits on nothing: nothing is left to run. The
    // script lives in a scratch folder, outside the workspace, so it names core's sources by path.
    const script = join(work.dir, 'stall.ts')
    const core = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'index.ts')).href
    writeFileSync(
      script,
      `import { addPlugin, createLogger, loadStreamConfig, Message, standardEnvironment, startStream } from '${core}'
const env = standardEnvironment()
let given = false
addPlugin(env, {
  spec: { name: 'stuck', kind: 'input', summary: 'gives one message, then never answers', fields: [] },
  create: () => ({
    connect: async () => {},
    close: async () => {},
    read: () => (given ? new Promise(() => {}) : ((given = true), Promise.resolve({ batch: [new Message('x')], ack: () => new Promise(() => {}) }))),
  }),
})
const stream = await startStream(loadStreamConfig('input: { stuck: {} }\\noutput: { drop: {} }', env), env, { logger: createLogger({ level: 'ERROR' }) })
await stream.done
`,
    )
    const [command, args] = engineCommand('ours', '', [])
    const run = await runProcess(command, [args[0]!, args[1]!, script], { timeoutMs: 20_000 })
    expect(run.timedOut).toBe(false)
    expect(run.code).toBe(1)
    expect(run.stdout + run.stderr).toContain(
      'The stream stalled before its input was done: 1 transaction(s)',
    )
  } finally {
    work.cleanup()
  }
})
