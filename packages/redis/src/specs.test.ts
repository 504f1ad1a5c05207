// The specs follow Bento's field names and defaults, so Bento configs parse unchanged.
import { defaultsOf, standardEnvironment } from '@bento-ts/core'
import { describe, expect, test } from 'vitest'
import { redisPlugins, register } from './index.ts'

const specOf = (kind: string, name: string) => {
  const plugin = redisPlugins.find((p) => p.spec.kind === kind && p.spec.name === name)
  if (plugin === undefined) throw new Error(`${kind} ${name} is not registered`)
  return plugin.spec
}

describe('specs', () => {
  test('register adds every component once', () => {
    const env = standardEnvironment()
    register(env)
    expect([...(env.plugins.get('input')?.keys() ?? [])]).toEqual(
      expect.arrayContaining(['redis_streams', 'redis_list', 'redis_pubsub', 'redis_scan']),
    )
    expect([...(env.plugins.get('output')?.keys() ?? [])]).toEqual(
      expect.arrayContaining(['redis_streams', 'redis_list', 'redis_pubsub', 'redis_hash']),
    )
    expect(env.plugins.get('cache')?.has('redis')).toBe(true)
    expect(env.plugins.get('rate_limit')?.has('redis')).toBe(true)
    expect(() => register(env)).toThrow(/registered twice/)
  })

  test('redis_streams input defaults', () => {
    expect(defaultsOf(specOf('input', 'redis_streams').fields!)).toMatchObject({
      kind: 'simple',
      master: '',
      body_key: 'body',
      auto_replay_nacks: true,
      limit: 10,
      client_id: '',
      consumer_group: '',
      create_streams: true,
      start_from_oldest: true,
      commit_period: '1s',
      timeout: '1s',
    })
  })

  test('redis_list input, redis_pubsub input and redis_scan input defaults', () => {
    expect(defaultsOf(specOf('input', 'redis_list').fields!)).toMatchObject({
      auto_replay_nacks: true,
      max_in_flight: 0,
      timeout: '5s',
      command: 'blpop',
    })
    expect(defaultsOf(specOf('input', 'redis_pubsub').fields!)).toMatchObject({
      use_patterns: false,
      auto_replay_nacks: true,
    })
    expect(defaultsOf(specOf('input', 'redis_scan').fields!)).toMatchObject({
      match: '',
      auto_replay_nacks: true,
    })
  })

  test('output defaults', () => {
    expect(defaultsOf(specOf('output', 'redis_streams').fields!)).toMatchObject({
      body_key: 'body',
      max_length: 0,
      max_in_flight: 64,
      metadata: { exclude_prefixes: [] },
    })
    expect(defaultsOf(specOf('output', 'redis_list').fields!)).toMatchObject({
      max_in_flight: 64,
      command: 'rpush',
    })
    expect(defaultsOf(specOf('output', 'redis_pubsub').fields!)).toMatchObject({ max_in_flight: 64 })
    expect(defaultsOf(specOf('output', 'redis_hash').fields!)).toMatchObject({
      walk_metadata: false,
      walk_json_object: false,
      fields: {},
      max_in_flight: 64,
    })
  })

  test('cache and rate limit defaults', () => {
    expect(defaultsOf(specOf('cache', 'redis').fields!)).toMatchObject({
      retries: { initial_interval: '500ms', max_interval: '1s', max_elapsed_time: '5s' },
    })
    expect(defaultsOf(specOf('rate_limit', 'redis').fields!)).toMatchObject({ count: 1000, interval: '1s' })
  })

  test('the shared block: url required, tls off, batching on batch outputs', () => {
    for (const p of redisPlugins) {
      const names = p.spec.fields!.map((f) => f.name)
      expect(names.slice(0, 4)).toEqual(['url', 'kind', 'master', 'tls'])
      const url = p.spec.fields!.find((f) => f.name === 'url')!
      expect(url.default).toBeUndefined()
    }
    for (const name of ['redis_streams', 'redis_list', 'redis_pubsub'])
      expect(specOf('output', name).fields!.some((f) => f.name === 'batching')).toBe(true)
    expect(specOf('output', 'redis_hash').fields!.some((f) => f.name === 'batching')).toBe(false)
  })
})
