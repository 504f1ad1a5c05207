// The connector conformance suite: the same tests for every connector, written against config
// templates (the input and the output component as YAML) and the real server, in the spirit of
// Bento's integration.StreamTests. A template is a function of per-test variables (a unique id for
// the topic / queue / stream, a consumer group, max_in_flight, batching), so the suite knows
// nothing of how a connector is written. Every test writes with the connector's output and reads
// with its input; messages are `<id> <n>` with metadata `suite_n: <n>`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Capture } from './capture.ts'
import { runCrashTest } from './crash.ts'
import { requireService, type ServiceName } from './env.ts'
import { packageRoot, type RunningStream } from './runtime.ts'
import { privateServer, type RestartableServer, sharedServer } from './servers.ts'
import { runStreamArgs, runStreamScript, type StreamHarness, streamHarness } from './streams.ts'
import { eventually } from './wait.ts'

/** What a template is filled with. */
export interface SuiteVars {
  /** unique per test (per source and sink in the crash test): the topic, queue, stream or subject */
  id: string
  /** unique per reading stream (the crash test's restarts share one): consumer group, durable, subscription */
  group: string
  /** the output's max_in_flight */
  maxInFlight: number
  /** the output's batching count (1: no batching) */
  batchCount: number
  /** the server's endpoints (REDIS_URL, …; the private server's in the restart test) and what setup returned */
  env: Record<string, string>
}

export interface CrashOptions {
  /**
   * Messages in the source. Sized by what it proves: kills land between 10 % and 90 % of the
   * total, so ten in-flight windows (max_in_flight × batch) put a full window behind even the
   * earliest kill; the default, at least 1,000.
   */
  total?: number
  /** SIGKILLs (default 3) */
  kills?: number
  maxInFlight?: number
  batchCount?: number
  /**
   * The most duplicates the connector allows for `kills` kills, with the reason in `why`: what it
   * had delivered but not yet acknowledged to its source at a kill.
   */
  maxDuplicates: number
  why: string
  timeoutMs?: number
}

export interface ConnectorSuiteOptions {
  /** names the describe block and the ids (letters, digits, dashes) */
  name: string
  /** the test file's `import.meta.url`: the package it belongs to provides the components */
  from: string
  /** the shared server the connector talks to (none for a connector that is its own server) */
  service?: ServiceName
  /** the input component as YAML (e.g. `redis_streams:\n  url: …`) reading `v.id` as group `v.group` */
  input(v: SuiteVars): string
  /** the output component as YAML writing to `v.id`, with `v.maxInFlight` and `v.batchCount` */
  output(v: SuiteVars): string
  /**
   * Prepares `v.id` (and `v.group`) on the server before a stream uses them: create the topic,
   * queue or subscription. Called once per id and group; what it returns joins `v.env`.
   */
  setup?(v: SuiteVars): Promise<Record<string, string> | undefined> | Promise<void>
  features: {
    /** metadata set on a message before the output is on it when the input reads it */
    metadata?: boolean
    /** a message whose write failed (nacked) is delivered again */
    nack?: boolean
    /** the output's batching, batches that do not divide the messages evenly */
    batching?: boolean
    /** several writes outstanding (max_in_flight > 1) */
    parallelWriters?: boolean
    /**
     * The input and output reconnect after the server restarts: 'private' on a private server of
     * this package's own (Redis, NATS), 'shared' on the shared one (declare it in package.json
     * `bento-ts.restarts`, so nothing else runs against it meanwhile).
     */
    restart?: 'private' | 'shared'
  }
  /** messages per round trip (default 100) */
  messages?: number
  crash?: CrashOptions
  /** how long one test may wait for its messages (default 60 s) */
  timeoutMs?: number
}

const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')

const indent = (yaml: string, by: string): string =>
  yaml
    .trim()
    .split('\n')
    .map((line) => by + line)
    .join('\n')

/** The n of a message the suite wrote (`<id> <n>`), or NaN. */
const numberOf = (text: string): number => Number(text.slice(text.lastIndexOf(' ') + 1))

/** Runs the conformance suite for one connector: one describe block, one test per feature. */
export function connectorSuite(o: ConnectorSuiteOptions): void {
  const n = o.messages ?? 100
  const timeoutMs = o.timeoutMs ?? 60_000
  let harness: StreamHarness
  let runs = 0
  const streams: RunningStream[] = []

  describe(`${o.name} conformance`, () => {
    beforeAll(async () => {
      harness = await streamHarness(o.from)
    })
    afterAll(async () => {
      await Promise.all(streams.map((s) => s.stop(5000).catch(() => {})))
    })

    /** Fresh variables for one test against the server whose endpoints are `env`. */
    const varsFor = (
      what: string,
      env: Record<string, string> = o.service === undefined ? {} : requireService(o.service),
    ): SuiteVars => {
      const id = `${slug(o.name)}-${slug(what)}-${Math.random().toString(36).slice(2, 8)}`
      return { id, group: `g-${id}`, maxInFlight: 1, batchCount: 1, env: { ...env } }
    }
    const prepared = new Set<string>()
    const prepare = async (v: SuiteVars): Promise<SuiteVars> => {
      const key = `${v.id}|${v.group}`
      if (o.setup !== undefined && !prepared.has(key)) {
        prepared.add(key)
        Object.assign(v.env, (await o.setup(v)) ?? {})
      }
      return v
    }
    const started = async (yaml: string): Promise<RunningStream> => {
      const stream = await harness.start(yaml)
      streams.push(stream)
      return stream
    }

    /** Starts a stream reading `v` into a fresh capture. */
    const reader = async (v: SuiteVars): Promise<{ stream: RunningStream; capture: Capture }> => {
      await prepare(v)
      const name = `read-${++runs}`
      const capture = harness.captured(name)
      const stream = await started(`input:\n${indent(o.input(v), '  ')}\noutput:\n  capture: ${name}\n`)
      return { stream, capture }
    }

    /** Writes messages `<id> from+1` … `<id> from+count` with the output, to the end of its input. */
    const write = async (v: SuiteVars, count: number, from = 0): Promise<void> => {
      await prepare(v)
      const counter = `${v.id}-w${++runs}`
      const mapping = [
        `let n = count("${counter}") + ${from}`,
        `root = "${v.id} " + $n.string()`,
        `meta suite_n = $n.string()`,
      ].join('\n')
      const stream = await started(
        `input:\n  generate:\n    count: ${count}\n    interval: ""\n    mapping: |\n${indent(mapping, '      ')}\n` +
          `output:\n${indent(o.output(v), '  ')}\n`,
      )
      await stream.done
    }

    /** Waits until the capture holds every n in 1..count (duplicates allowed). */
    const receivedAll = async (capture: Capture, count: number): Promise<void> => {
      await eventually(() => new Set(capture.texts().map(numberOf)).size >= count, {
        timeoutMs,
        what: `${count} messages (have ${new Set(capture.texts()).size})`,
      })
    }
    const expectExactly = (capture: Capture, v: SuiteVars, count: number): void => {
      const expected = Array.from({ length: count }, (_, i) => `${v.id} ${i + 1}`)
      expect([...capture.texts()].sort()).toEqual(expected.sort())
    }

    test(
      'opens, delivers one message, and closes',
      async () => {
        const v = varsFor('open-close')
        const { stream, capture } = await reader(v)
        await write(v, 1)
        await receivedAll(capture, 1)
        expectExactly(capture, v, 1)
        await stream.stop(10_000)
        await stream.done
      },
      2 * timeoutMs,
    )

    test(
      `sends ${n} and receives ${n} with their content${o.features.metadata ? ' and metadata' : ''}`,
      async () => {
        const v = varsFor('send-receive')
        const { stream, capture } = await reader(v)
        await write(v, n)
        await receivedAll(capture, n)
        await stream.stop(10_000)
        // nothing failed, so nothing may arrive twice
        expectExactly(capture, v, n)
        if (o.features.metadata)
          for (const m of capture.messages) expect(m.metaString('suite_n')).toBe(String(numberOf(m.text())))
      },
      2 * timeoutMs,
    )

    if (o.features.nack)
      test(
        'delivers a message again after its write failed once (at least once)',
        async () => {
          const v = varsFor('nack')
          const count = 10
          const refusedOnce = new Set<number>()
          const { stream, capture } = await reader(v)
          // the first delivery of message 3 fails, and with it the rest of its batch
          capture.refuse = (m) => {
            const k = numberOf(m.text())
            if (k !== 3 || refusedOnce.has(k)) return false
            refusedOnce.add(k)
            return true
          }
          await write(v, count)
          await receivedAll(capture, count)
          await stream.stop(10_000)
          expect(capture.refused).toBe(1)
          expect(capture.texts()).toContain(`${v.id} 3`)
          expect(new Set(capture.texts()).size).toBe(count)
        },
        2 * timeoutMs,
      )

    if (o.features.batching)
      test(
        'writes batches that do not divide the messages evenly (4 + 4 + 2)',
        async () => {
          const v = { ...varsFor('batching'), batchCount: 4 }
          const { stream, capture } = await reader(v)
          await write(v, 10)
          await receivedAll(capture, 10)
          await stream.stop(10_000)
          expectExactly(capture, v, 10)
        },
        2 * timeoutMs,
      )

    if (o.features.parallelWriters)
      test(
        `writes with 8 writes in flight: ${2 * n} messages, none lost or doubled`,
        async () => {
          const v = { ...varsFor('parallel'), maxInFlight: 8 }
          const { stream, capture } = await reader(v)
          await write(v, 2 * n)
          await receivedAll(capture, 2 * n)
          await stream.stop(10_000)
          expectExactly(capture, v, 2 * n)
        },
        2 * timeoutMs,
      )

    const restart = o.features.restart
    const service = o.service
    if (restart !== undefined && service === undefined)
      throw new Error(`${o.name}: features.restart needs the service that is restarted`)
    if (restart !== undefined && service !== undefined)
      test(
        `input and output reconnect after the ${restart} ${service} server restarts`,
        async () => {
          const server: RestartableServer =
            restart === 'private'
              ? await privateServer(service)
              : sharedServer(service, join(packageRoot(o.from), 'package.json'))
          try {
            const v = varsFor('restart', server.env)
            const { stream, capture } = await reader(v)
            await write(v, n / 2)
            await receivedAll(capture, n / 2)
            await server.stop()
            // a writer started while the server is down must connect once it is back
            const writing = write(v, n / 2, n / 2)
            await server.start()
            await writing
            await receivedAll(capture, n)
            await stream.stop(10_000)
            expect(new Set(capture.texts()).size).toBe(n)
          } finally {
            await server.close()
          }
        },
        3 * timeoutMs,
      )

    const crash = o.crash
    if (crash !== undefined) {
      const kills = crash.kills ?? 3
      const maxInFlight = crash.maxInFlight ?? 8
      const batchCount = crash.batchCount ?? 10
      const total = crash.total ?? Math.max(1000, 10 * maxInFlight * batchCount)
      test(
        `loses nothing over ${total} messages and ${kills} SIGKILLs (input → output in a child process)`,
        async () => {
          const source = varsFor('crash-src')
          const sink = { ...varsFor('crash-sink'), maxInFlight, batchCount }
          const through: SuiteVars = { ...source, maxInFlight, batchCount }
          await write(source, total)
          await prepare(through)
          await prepare(sink)
          const work = mkdtempSync(join(tmpdir(), 'bento-ts-crash-'))
          try {
            const config = join(work, 'stream.yaml')
            writeFileSync(
              config,
              `logger:\n  level: WARN\ninput:\n${indent(o.input(through), '  ')}\n` +
                // Paced (about 1 ms a message per thread) so that however fast the connector is,
                // the kills land while messages are in flight rather than after the last one.
                `pipeline:\n  processors:\n    - sleep:\n        duration: 1ms\n` +
                `output:\n${indent(o.output(sink), '  ')}\n`,
            )
            const { capture } = await reader({ ...sink, group: `g-${sink.id}-check` })
            const result = await runCrashTest({
              script: runStreamScript,
              args: await runStreamArgs(o.from, config),
              total,
              kills,
              delivered: async () => capture.messages.length,
              collect: async () => capture.texts(),
              idOf: (i) => `${source.id} ${i + 1}`,
              timeoutMs: crash.timeoutMs ?? 240_000,
            })
            console.log(
              `${o.name} crash test: ${result.total} messages, ${result.received} received, ${result.distinct} distinct, ` +
                `lost ${result.lost}, duplicates ${result.duplicates} (at most ${crash.maxDuplicates}: ${crash.why}), ` +
                `killed at ${result.killedAt.join(', ')}`,
            )
            expect(result.killedAt).toHaveLength(kills)
            expect(result.missing, result.log.slice(-3000)).toEqual([])
            expect(result.lost).toBe(0)
            expect(result.duplicates).toBeLessThanOrEqual(crash.maxDuplicates)
          } finally {
            rmSync(work, { recursive: true, force: true })
          }
        },
        (crash.timeoutMs ?? 240_000) + 60_000,
      )
    }
  })
}
