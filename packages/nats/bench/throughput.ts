// JetStream throughput on the test server, ours and (when at hand) the `bento` binary's, each
// engine run as a child process on the same config, one after the other. Three cases:
//
//   bridge  nats_jetstream (durable) → mapping → nats_jetstream   N messages of 1 KiB
//   read    nats_jetstream (durable) → drop                         (until all N are acked)
//   write   generate → nats_jetstream                               (until the sink holds N)
//
// The source stream is written once; every run has its own durable consumer and sink stream.
// Throughput is N ÷ the wall time from spawning the process until it is done (start-up included).
//
//   node packages/nats/bench/throughput.ts [--messages 200000] [--case bridge,read,write]
//        [--bento PATH] [--prof DIR] [--json]
//
// --bento: a Bento v1.20.0 CLI with the nats components (e.g. built from a main.go importing
// public/components/{pure,io,nats}); without it only ours runs.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { requireService } from '@bento-ts/test-services'
import { connect } from 'nats'
import { fillStream } from '../test/streams.ts'

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    case: { type: 'string', default: 'bridge,read,write' },
    bento: { type: 'string' },
    /** write a CPU profile of our process into this folder */
    prof: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
})
const total = Number(opts.messages)
const cases = opts.case.split(',') as ('bridge' | 'read' | 'write')[]
const url = requireService('nats').NATS_URL!

const nc = await connect({ servers: url, noAsyncTraces: true })
const jsm = await nc.jetstreamManager()
const run = `BENCH${Date.now()}`
const source = `${run}_IN`
const pad = 'x'.repeat(1000)
await jsm.streams.add({ name: source, subjects: [`${source}.>`] })
if (cases.some((c) => c !== 'write')) {
  await fillStream(nc, `${source}.in`, total, (i) => `{"id":${i},"pad":"${pad}"}`)
}
const dir = mkdtempSync(join(tmpdir(), 'nats-bench-'))

function yaml(kind: string, name: string, sink: string): string {
  const input =
    kind === 'write'
      ? `generate:\n    count: ${total}\n    interval: ""\n    mapping: 'root = {"id": count("g"), "pad": "${pad}"}'`
      : `nats_jetstream:\n    urls: [ "${url}" ]\n    subject: ${source}.>\n    durable: ${name}`
  const output =
    kind === 'read' ? 'drop: {}' : `nats_jetstream:\n    urls: [ "${url}" ]\n    subject: ${sink}.out`
  const pipeline =
    kind === 'bridge'
      ? 'pipeline:\n  processors:\n    - mapping: |\n        root = this\n        root.seen = true\n'
      : ''
  return `input:\n  ${input}\n${pipeline}output:\n  ${output}\nlogger:\n  level: WARN\n`
}

const stopped = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })

async function measure(kind: string, engine: string, command: string, args: (path: string) => string[]) {
  const name = `${kind}_${engine}`
  const sink = `${run}_${name.toUpperCase()}`
  const path = join(dir, `${name}.yaml`)
  writeFileSync(path, yaml(kind, name, sink))
  if (kind !== 'read') await jsm.streams.add({ name: sink, subjects: [`${sink}.>`] })
  const done = async () =>
    kind === 'read'
      ? await jsm.consumers.info(source, name).then(
          (i) => i.ack_floor.stream_seq >= total,
          () => false,
        )
      : (await jsm.streams.info(sink)).state.messages >= total
  const started = performance.now()
  const child = spawn(command, args(path), { stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    while (!(await done())) {
      if (child.exitCode !== null && kind !== 'write')
        throw new Error(`${engine} exited early (${child.exitCode})`)
      await sleep(20)
    }
  } finally {
    await stopped(child)
  }
  const seconds = (performance.now() - started) / 1000
  if (kind !== 'read') await jsm.streams.delete(sink)
  return { case: kind, engine, seconds, perSecond: Math.round(total / seconds) }
}

const ours = (path: string) => [
  ...(opts.prof !== undefined ? ['--cpu-prof', '--cpu-prof-dir', opts.prof] : []),
  join(import.meta.dirname, '../test/run-stream.ts'),
  path,
]
const results: Awaited<ReturnType<typeof measure>>[] = []
for (const kind of cases) {
  results.push(await measure(kind, 'ours', process.execPath, ours))
  if (opts.bento !== undefined) results.push(await measure(kind, 'bento', opts.bento, (path) => ['-c', path]))
}

await jsm.streams.delete(source)
await nc.close()
rmSync(dir, { recursive: true, force: true })

if (opts.json) console.log(JSON.stringify({ messages: total, results }))
else {
  console.log(`NATS JetStream, ${total} messages of 1 KiB`)
  for (const kind of cases) {
    const [a, b] = [
      results.find((r) => r.case === kind && r.engine === 'ours')!,
      results.find((r) => r.case === kind && r.engine === 'bento'),
    ]
    const ratio = b === undefined ? '' : `  ours/bento ${(a.perSecond / b.perSecond).toFixed(2)}×`
    const theirs = b === undefined ? '' : `  bento ${b.perSecond} msg/s`
    console.log(`  ${kind.padEnd(7)} ours ${a.perSecond} msg/s${theirs}${ratio}`)
  }
}
