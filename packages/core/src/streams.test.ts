import { describe, expect, test } from 'vitest'
import { silentLogger } from './logger.ts'
import { loadStreamConfig } from './run.ts'
import { standardEnvironment } from './standard.ts'
import { createStreamsManager, StreamExists, StreamNotFound, uptimeOf } from './streams.ts'

const env = standardEnvironment()
const config = (mapping: string, count = 0) =>
  loadStreamConfig(
    `input:\n  generate:\n    mapping: '${mapping}'\n    interval: 10ms\n    count: ${count}\noutput:\n  drop: {}\nlogger:\n  level: none\n`,
    env,
    { vars: {} },
  )

describe('streams manager', () => {
  test('create, read, replace and delete streams by id', async () => {
    const started: string[] = []
    const manager = createStreamsManager(env, {
      logger: silentLogger,
      onStreamStarted: (id) => started.push(id),
    })
    await manager.create('a', config('root = 1'), { source: 1 })
    await expect(manager.create('a', config('root = 1'), {})).rejects.toBeInstanceOf(StreamExists)
    expect(manager.get('a')).toMatchObject({ id: 'a', active: true, source: { source: 1 } })
    expect(uptimeOf(manager.get('a')!).seconds).toBeGreaterThanOrEqual(0)
    await manager.update('a', config('root = 2'), { source: 2 })
    expect(manager.get('a')?.source).toEqual({ source: 2 })
    await expect(manager.update('b', config('root = 1'), {})).rejects.toBeInstanceOf(StreamNotFound)
    await manager.delete('a')
    expect(manager.list()).toEqual([])
    await expect(manager.delete('a')).rejects.toBeInstanceOf(StreamNotFound)
    expect(started).toEqual(['a', 'a'])
  })

  test('a stream whose input ends is listed as inactive', async () => {
    const manager = createStreamsManager(env, { logger: silentLogger })
    await manager.create('once', config('root = 1', 1), {})
    await expect.poll(() => manager.get('once')?.active, { timeout: 5000 }).toBe(false)
    await manager.stopAll()
  })

  test('a shared resource is there for streams created later; their own label wins', async () => {
    const manager = createStreamsManager(env, { logger: silentLogger })
    const [cache] = loadStreamConfig('cache_resources:\n  - label: shared\n    memory: {}\n', env, {
      vars: {},
    }).cache_resources
    const withCache = loadStreamConfig(
      "input:\n  generate:\n    mapping: 'root = 1'\n    count: 1\npipeline:\n  processors:\n    - cache:\n        resource: shared\n        operator: set\n        key: k\n        value: v\noutput:\n  drop: {}\n",
      env,
      // the manager's shared resources, as `streams` passes them: the stream does not declare it
      { vars: {}, extraResources: [{ cache_resources: [cache!] }] },
    )
    manager.setResource('cache', cache!)
    await manager.create('c', withCache, {})
    await expect.poll(() => manager.get('c')?.active, { timeout: 5000 }).toBe(false)
    await manager.stopAll()
  })
})
