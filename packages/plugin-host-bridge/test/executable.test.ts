// The single executable (apps/plugin/dist/exe/workflow-plugin-bento, a Node 24 SEA): a plugin
// without arguments, the CLI with them. Built here when missing or older than the sources.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireService, tcpExchange } from '@bento-ts/test-services'
import { beforeAll, describe, expect, it } from 'vitest'
import { HealthCheckResponse_ServingStatus } from '../src/gen/grpc/health/v1/health_pb.ts'
import { notAPluginHostMessage } from '../src/goplugin.ts'
import { ensureExe, hostEnv, launch, rssMiB, start, within } from './host.ts'

let exe: string
beforeAll(() => {
  exe = ensureExe()
}, 300_000)

/** An environment without the host's variables and without Node on PATH. */
function personEnv(): Record<string, string> {
  return { HOME: process.env.HOME ?? '/tmp', PATH: '/usr/bin:/bin' }
}

describe('workflow-plugin-bento, the single executable', () => {
  it('serves the plugin: handshake time and idle memory', async () => {
    const times: number[] = []
    for (let i = 0; i < 3; i++) {
      const p = await launch({}, [exe])
      times.push(p.handshakeMs)
      expect(p.fields.slice(0, 3)).toEqual(['1', '1', 'unix'])
      expect((await p.health.check({ service: 'plugin' })).status).toBe(
        HealthCheckResponse_ServingStatus.SERVING,
      )
      let rss = 0
      if (i === 2) {
        await new Promise((r) => setTimeout(r, 1000))
        rss = rssMiB(p.child.pid!)
      }
      await p.controller.shutdown({}).catch(() => {})
      expect(await within(2000, p.exited, 'exit after Shutdown')).toEqual({ code: 0, signal: null })
      p.close()
      if (i === 2) {
        times.sort((a, b) => a - b)
        console.info(
          `single executable: handshake ${times.map((t) => t.toFixed(0)).join('/')} ms, idle RSS ${rss.toFixed(0)} MiB`,
        )
        expect(rss).toBeGreaterThan(0)
      }
    }
  })

  it('without arguments and without the cookie, prints go-plugin text and exits 1', async () => {
    for (const env of [personEnv(), { ...personEnv(), ...hostEnv, WORKFLOW_PLUGIN: 'wrong' }]) {
      const s = start(env, [], [exe])
      expect(await within(10_000, s.exited, 'exit')).toEqual({ code: 1, signal: null })
      expect(s.stderr()).toBe(notAPluginHostMessage)
      expect(s.stdout()).toBe('')
    }
  })

  it('is the CLI with arguments (blobl, lint, run), even in a host environment', () => {
    const env = { ...personEnv(), ...hostEnv }
    const run = (args: string[], input?: string) =>
      execFileSync(exe, args, { env, encoding: 'utf8', ...(input === undefined ? {} : { input }) })
    expect(run(['blobl', 'root.b = this.a + 1'], '{"a":1}\n')).toBe('{"b":2}\n')
    const dir = mkdtempSync(join(tmpdir(), 'sea-cli'))
    const config = join(dir, 'hello.yaml')
    writeFileSync(
      config,
      'input:\n  generate:\n    mapping: root = "hi " + counter().string()\n    count: 2\n    interval: ""\noutput:\n  stdout: {}\n',
    )
    expect(run(['lint', config])).toBe('')
    expect(run(['run', '-c', config])).toBe('hi 1\nhi 2\n')
    expect(run(['--version']).trim()).toMatch(/^[0-9]+\.[0-9]+\.[0-9]+$/)
  })

  it("reads a connector package's asset only when a config uses one of its components", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sea-assets'))
    const record = join(dir, 'assets.json')
    const env = {
      ...personEnv(),
      RECORD_ASSETS: record,
      NODE_OPTIONS: `--require ${join(import.meta.dirname, 'record-assets.cjs')}`,
    }
    const assetsRead = (args: string[]) => {
      execFileSync(exe, args, { env, encoding: 'utf8' })
      return JSON.parse(readFileSync(record, 'utf8')) as string[]
    }
    const url = requireService('redis').REDIS_URL!
    const config = join(dir, 'redis.yaml')
    writeFileSync(
      config,
      `input:\n  generate:\n    mapping: root = "m"\n    count: 2\n    interval: ""\noutput:\n  redis_list:\n    url: ${url}\n    key: sea-assets-${process.pid}\n`,
    )
    const listed = execFileSync(exe, ['list', 'outputs'], { env: personEnv(), encoding: 'utf8' })
    for (const name of ['aws_s3', 'gcp_pubsub', 'http_client', 'kafka', 'nats', 'redis_list'])
      expect(listed).toContain(`- ${name}\n`)
    expect(assetsRead(['list'])).toEqual([])
    expect(assetsRead(['lint', config])).toEqual([])
    expect(assetsRead(['run', '-c', config, '--log.level', 'none'])).toEqual(['redis.cjs'])
    // the run wrote both messages (Redis inline commands); the key is removed from the shared server
    const port = Number(new URL(url).port)
    expect(await tcpExchange(port, `LLEN sea-assets-${process.pid}\r\n`)).toBe(':2\r\n')
    expect(await tcpExchange(port, `DEL sea-assets-${process.pid}\r\n`)).toBe(':1\r\n')
  })
})
