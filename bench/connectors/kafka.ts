// Kafka → mapping → Kafka, Bento and ours on the same broker, one after the other. A source topic
// is filled once with N JSON messages of ≈ 1 KiB; each engine runs as a child process with the
// same config (its own consumer group and sink topic) and is timed from spawn until its sink holds
// N messages (start-up and the group join included), then stopped. Prints msgs/s and peak RSS of
// both with the ratios, and checks that both sinks hold every id.
//
//   node bench/connectors/kafka.ts [--messages 1000000] [--size 1024] [--partitions 4]
//                                  [--only default|batched] [--bento PATH] [--no-build] [--json] [--keep]
//
// The reference is `ensureTool('bento')` (Bento v1.20.0 with every component); --bento (or $BENTO)
// names another binary with the kafka components, e.g. one built from the same release.
// `--child <config>` is how ours runs: this script with @bento-ts/kafka registered.

import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createLogger, loadStreamConfig, standardEnvironment, startStream } from '@bento-ts/core'
import { register } from '@bento-ts/kafka'
import { ensureTool, repoRoot, requireService } from '@bento-ts/test-services'
import kafkajs from 'kafkajs'
import { type Column, printTable } from '../lib/table.ts'

const { Kafka, logLevel } = kafkajs

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    size: { type: 'string', default: '1024' },
    partitions: { type: 'string', default: '4' },
    only: { type: 'string' },
    bento: { type: 'string' },
    build: { type: 'boolean', default: true },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
  allowNegative: true,
})

if (opts.child !== undefined) {
  // Ours: the stream until SIGTERM.
  const env = standardEnvironment()
  register(env)
  const config = loadStreamConfig(readFileSync(opts.child, 'utf8'), env)
  const stream = await startStream(config, env, { logger: createLogger({ level: 'WARN' } as never) })
  process.once('SIGTERM', () => {
    stream.stop(5000).then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
  await stream.done
  process.exit(0)
}

const messages = Number(opts.messages)
const size = Number(opts.size)
const partitions = Number(opts.partitions)
if (!Number.isInteger(messages) || messages <= 0) throw new Error(`--messages ${opts.messages}: not a count`)
const brokers = requireService('kafka').KAFKA_BROKERS!
const kafka = new Kafka({ brokers: [brokers], clientId: 'bench', logLevel: logLevel.NOTHING })
const admin = kafka.admin()
await admin.connect()
const run = `${Date.now().toString(36)}`
const work = mkdtempSync(join(tmpdir(), 'bench-kafka-'))
const say = (text: string) => {
  if (!opts.json) process.stderr.write(text)
}

if (opts.build) {
  const built = spawnSync(
    join(repoRoot, 'node_modules/.bin/turbo'),
    ['run', 'build', '--filter=@bento-ts/kafka...', '--output-logs=errors-only'],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  if (built.status !== 0) throw new Error('building @bento-ts/kafka failed')
}
const bento = opts.bento ?? process.env.BENTO ?? (await ensureTool('bento'))

// ---------------------------------------------------------------------------------------------

const mapping = 'root = this'

function config(engine: Engine, source: string, sink: string, batched: boolean): string {
  const batching = batched ? '\n    batching:\n      count: 500\n      period: 50ms' : ''
  return `http:
  enabled: false
logger:
  level: WARN
input:
  kafka:
    addresses: [ "${brokers}" ]
    topics: [ ${source} ]
    consumer_group: bench-${engine}-${sink}
    start_from_oldest: true
pipeline:
  processors:
    - mapping: '${mapping}'
output:
  kafka:
    addresses: [ "${brokers}" ]
    topic: ${sink}
    max_in_flight: 64${batching}
`
}

async function createTopic(topic: string): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
}

async function count(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic)
  return offsets.reduce((sum, o) => sum + Number(o.high), 0)
}

/** N JSON messages `{"id": i, "payload": "..."}` of `size` bytes, produced several sends at a time. */
async function fill(topic: string): Promise<void> {
  const producer = kafka.producer()
  await producer.connect()
  const pad = 'x'.repeat(Math.max(0, size - 30))
  const chunk = 1000
  let next = 0
  const worker = async () => {
    for (;;) {
      const from = next
      next += chunk
      if (from >= messages) return
      const batch = []
      for (let i = from; i < Math.min(messages, from + chunk); i++) {
        const id = String(i).padStart(9, '0')
        batch.push({
          value: `{"id":"${id}","payload":"${pad.slice(0, size - 30)}"}`,
          partition: i % partitions,
        })
      }
      await producer.send({ topic, messages: batch, acks: 1 })
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  await producer.disconnect()
}

/** Every id of a sink, read from the start (checks that the run delivered all of them). */
async function distinctIds(topic: string, expected: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-check-${topic}`, maxWaitTimeInMs: 200 })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const seen = new Set<string>()
  let read = 0
  const total = await count(topic)
  await new Promise<void>((resolve) => {
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          read++
          const text = m.value?.toString() ?? ''
          const at = text.indexOf('"id":"')
          if (at >= 0) seen.add(text.slice(at + 6, at + 15))
        }
        if (read >= total) resolve()
      },
    })
  })
  await consumer.disconnect()
  await admin.deleteGroups([`bench-check-${topic}`]).catch(() => {})
  if (seen.size > expected) throw new Error(`${topic}: ${seen.size} distinct ids, expected ${expected}`)
  return seen.size
}

type Engine = 'bento' | 'ours'

interface Measured {
  seconds: number
  peakRssKiB: number
  /** user + system CPU time of the process until its sink held every message */
  cpuSeconds: number
  stderr: string
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s on Linux). */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Runs an engine until its sink holds every message; polls VmHWM for peak memory. */
function measure(engine: Engine, configPath: string, sink: string): Promise<Measured> {
  const [command, args] =
    engine === 'bento'
      ? [bento, ['-c', configPath]]
      : [process.execPath, [import.meta.filename, '--child', configPath]]
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (c: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += c.toString()
    })
    let peakRssKiB = 0
    let cpuSeconds = 0
    let finished = false
    const sample = () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
        peakRssKiB = Math.max(peakRssKiB, Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0))
        cpuSeconds = cpuOf(child.pid!)
      } catch {
        // exited between two polls
      }
    }
    const poll = setInterval(sample, 50)
    child.on('exit', (code) => {
      clearInterval(poll)
      if (!finished) reject(new Error(`${engine} exited early (${code}):\n${stderr.slice(-2000)}`))
    })
    const check = async () => {
      while (!finished) {
        const n = await count(sink)
        if (n >= messages) {
          finished = true
          const seconds = (performance.now() - started) / 1000
          sample()
          child.kill('SIGTERM')
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref()
          resolve({ seconds, peakRssKiB, cpuSeconds, stderr })
          return
        }
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    check().catch(reject)
  })
}

interface Row {
  scenario: string
  messages: number
  bento_msgs_per_s: number
  ours_msgs_per_s: number
  speed_ratio: number
  bento_cpu_s: number
  ours_cpu_s: number
  bento_peak_rss_mib: number
  ours_peak_rss_mib: number
  bento_distinct: number
  ours_distinct: number
}

const scenarios = [
  { name: 'default', title: 'kafka→mapping→kafka', batched: false },
  { name: 'batched', title: 'same, output batching 500', batched: true },
].filter((s) => opts.only === undefined || opts.only === s.name)

const source = `bench-src-${run}`
const topics = [source]
const rows: Row[] = []
try {
  await createTopic(source)
  say(
    `filling ${source}: ${messages.toLocaleString('en')} messages of ${size} bytes, ${partitions} partitions… `,
  )
  const filled = performance.now()
  await fill(source)
  say(`${((performance.now() - filled) / 1000).toFixed(1)} s\n`)
  for (const scenario of scenarios) {
    say(`${scenario.title}\n`)
    const results: Partial<Record<Engine, Measured & { distinct: number }>> = {}
    for (const engine of ['bento', 'ours'] as const) {
      const sink = `bench-sink-${engine}-${scenario.name}-${run}`
      topics.push(sink)
      await createTopic(sink)
      const path = join(work, `${engine}-${scenario.name}.yaml`)
      writeFileSync(path, config(engine, source, sink, scenario.batched))
      say(`  ${engine}… `)
      const r = await measure(engine, path, sink)
      const distinct = await distinctIds(sink, messages)
      say(
        `${r.seconds.toFixed(2)} s, CPU ${r.cpuSeconds.toFixed(1)} s, ${(r.peakRssKiB / 1024).toFixed(0)} MiB, ${distinct.toLocaleString('en')} distinct ids\n`,
      )
      results[engine] = { ...r, distinct }
      await new Promise((r) => setTimeout(r, 1000))
    }
    const b = results.bento!
    const o = results.ours!
    rows.push({
      scenario: scenario.title,
      messages,
      bento_msgs_per_s: Math.round(messages / b.seconds),
      ours_msgs_per_s: Math.round(messages / o.seconds),
      speed_ratio: Number((b.seconds / o.seconds).toFixed(2)),
      bento_cpu_s: Number(b.cpuSeconds.toFixed(1)),
      ours_cpu_s: Number(o.cpuSeconds.toFixed(1)),
      bento_peak_rss_mib: Number((b.peakRssKiB / 1024).toFixed(1)),
      ours_peak_rss_mib: Number((o.peakRssKiB / 1024).toFixed(1)),
      bento_distinct: b.distinct,
      ours_distinct: o.distinct,
    })
  }
} finally {
  if (!opts.keep) {
    await admin.deleteTopics({ topics }).catch(() => {})
    rmSync(work, { recursive: true, force: true })
  } else say(`kept ${work} and topics ${topics.join(', ')}\n`)
  await admin.disconnect()
}

if (opts.json) console.log(JSON.stringify(rows, null, 2))
else {
  const columns: Column<Row>[] = [
    ['scenario', 'scenario', 28],
    ['messages', 'messages', 10],
    ['bento_msgs_per_s', 'Bento msg/s', 12],
    ['ours_msgs_per_s', 'ours msg/s', 11],
    ['speed_ratio', 'ours/Bento', 11],
    ['bento_cpu_s', 'Bento CPU s', 12],
    ['ours_cpu_s', 'ours CPU s', 11],
    ['bento_peak_rss_mib', 'Bento RSS MiB', 14],
    ['ours_peak_rss_mib', 'ours RSS MiB', 13],
    ['bento_distinct', 'Bento ids', 10],
    ['ours_distinct', 'ours ids', 10],
  ]
  console.log(
    `\nmsg/s = N ÷ (spawn → sink holds N); ratio = ours ÷ Bento (> 1: ours is faster); CPU = user + system seconds of the engine's process; ${size}-byte messages, ${partitions} partitions, same broker`,
  )
  printTable(rows, columns, {
    grouped: columns.map(([k]) => k).filter((k) => k !== 'speed_ratio' && k !== 'scenario'),
  })
}
// Both engines must have delivered every id, or the comparison is meaningless.
if (rows.some((r) => r.bento_distinct !== messages || r.ours_distinct !== messages)) process.exitCode = 1
