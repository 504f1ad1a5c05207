import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { requireService } from '@bento-ts/test-services'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, test } from 'vitest'
import { connectorPackages } from '../src/environment.ts'

// Components load on demand: the CLI registers every connector package from its catalog and
// imports a package's code only when a config builds one of its components. Each case runs the CLI
// with a hook that records every module the process loaded, and reads from it which connector
// packages and which SDKs were imported.
const main = join(import.meta.dirname, '../src/main.ts')
const hook = join(import.meta.dirname, 'record-modules.ts')
const dir = mkdtempSync(join(tmpdir(), 'lazy-loading-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** `@bento-ts/redis` → `redis`: the folder under packages/ of each connector package. */
const connectorDirs = connectorPackages.map((p) => p.catalog.package.replace('@bento-ts/', '')).sort()
/** The client library of each connector package: none of them may load unless its package does. */
const sdks = [
  '@aws-sdk/client-s3',
  '@aws-sdk/client-sqs',
  '@google-cloud/pubsub',
  'kafkajs',
  'nats',
  'ioredis',
]

interface Loaded {
  /** connector packages whose code (anything but their generated catalog) was imported */
  connectors: string[]
  /** every package under node_modules a module was loaded from */
  packages: Set<string>
}

function cli(name: string, args: string[], env: Record<string, string> = {}) {
  const record = join(dir, `${name}.json`)
  const result = spawnSync(process.execPath, ['--import', hook, main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env, RECORD_MODULES: record },
    timeout: 60_000,
  })
  const urls = JSON.parse(readFileSync(record, 'utf8')) as string[]
  const paths = urls.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u))
  const connectors = new Set<string>()
  const packages = new Set<string>()
  for (const path of paths) {
    const ours = /[/\\]packages[/\\]([^/\\]+)[/\\](?:dist|src)[/\\](.+)$/.exec(path)
    if (ours !== null && connectorDirs.includes(ours[1]!) && !/^gen[/\\]catalog\./.test(ours[2]!))
      connectors.add(ours[1]!)
    const dep = /.*[/\\]node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)[/\\]/.exec(path)
    if (dep !== null) packages.add(dep[1]!.replace('\\', '/'))
  }
  const loaded: Loaded = { connectors: [...connectors].sort(), packages }
  return { ...result, loaded }
}

describe('connector packages load on demand', () => {
  test('the catalogs name every connector package of the plugin', () => {
    expect(connectorDirs).toEqual(['aws-s3', 'aws-sqs', 'gcp-pubsub', 'http', 'kafka', 'nats', 'redis'])
  })

  test('list shows every connector component and imports no connector package', () => {
    const { status, stdout, stderr, loaded } = cli('list', ['list', '--format', 'json'])
    expect(stderr).toBe('')
    expect(status).toBe(0)
    const listed = JSON.parse(stdout) as Record<string, string[]>
    for (const pkg of connectorPackages)
      for (const c of pkg.catalog.components)
        expect(listed[`${c.kind}s`], `${c.kind} ${c.name} of ${pkg.catalog.package}`).toContain(c.name)
    expect(loaded.connectors).toEqual([])
    for (const sdk of sdks) expect(loaded.packages.has(sdk), sdk).toBe(false)
  })

  test.each([
    { args: ['--help'] },
    { args: ['list', '--format', 'json-full'] },
    { args: ['create', 'kafka/mapping/redis_list'] },
  ])('$args imports no connector package', ({ args }) => {
    const { status, stderr, loaded } = cli(`cmd-${args.join('-').replace(/\W+/g, '_')}`, args)
    expect(stderr).toBe('')
    expect(status).toBe(0)
    expect(loaded.connectors).toEqual([])
    for (const sdk of sdks) expect(loaded.packages.has(sdk), sdk).toBe(false)
  })

  test('lint of a config using kafka and nats imports neither', () => {
    const config = join(dir, 'lint.yaml')
    writeFileSync(
      config,
      'input:\n  kafka:\n    addresses: [127.0.0.1:9092]\n    topics: [t]\n    consumer_group: g\noutput:\n  nats:\n    urls: [nats://127.0.0.1:4222]\n    subject: s\n',
    )
    const { status, stdout, stderr, loaded } = cli('lint', ['lint', config])
    expect({ status, stdout, stderr }).toEqual({ status: 0, stdout: '', stderr: '' })
    expect(loaded.connectors).toEqual([])
    for (const sdk of sdks) expect(loaded.packages.has(sdk), sdk).toBe(false)
  })

  test('a stream writing to Redis loads @bento-ts/redis and ioredis, and no other connector', async () => {
    const url = requireService('redis').REDIS_URL!
    const key = `lazy-loading-${process.pid}-${Date.now()}`
    const config = join(dir, 'redis.yaml')
    writeFileSync(
      config,
      `input:\n  generate:\n    count: 3\n    interval: ""\n    mapping: 'root = "m" + counter().string()'\noutput:\n  redis_list:\n    url: ${url}\n    key: ${key}\n`,
    )
    const { status, stderr, loaded } = cli('redis', ['run', '-c', config, '--log.level', 'warn'])
    expect(stderr).toBe('')
    expect(status).toBe(0)
    const redis = new Redis(url)
    try {
      expect(await redis.lrange(key, 0, -1)).toEqual(['m1', 'm2', 'm3'])
      await redis.del(key)
    } finally {
      redis.disconnect()
    }
    expect(loaded.connectors).toEqual(['redis'])
    expect(loaded.packages.has('ioredis')).toBe(true)
    for (const sdk of sdks.filter((s) => s !== 'ioredis')) expect(loaded.packages.has(sdk), sdk).toBe(false)
  })
})
