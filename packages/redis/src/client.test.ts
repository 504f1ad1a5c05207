import { NotConnected } from '@bento-ts/core'
import { noTls } from '@bento-ts/core/kit'
import { ReplyError } from 'ioredis'
import { describe, expect, test } from 'vitest'
import { commandError, parseRedisUrl, redisClientFactory } from './client.ts'

describe('parseRedisUrl', () => {
  test('host, port, credentials and database', () => {
    expect(parseRedisUrl('redis://user:p%40ss@example.com:6380/2')).toEqual({
      addresses: [{ host: 'example.com', port: 6380 }],
      db: 2,
      username: 'user',
      password: 'p@ss',
      tls: false,
    })
  })

  test('defaults: localhost, 6379, database 0; tcp:// reads as redis://; rediss:// asks for TLS', () => {
    expect(parseRedisUrl('tcp://:6397')).toMatchObject({
      addresses: [{ host: 'localhost', port: 6397 }],
      db: 0,
    })
    expect(parseRedisUrl('redis://:secret@host')).toMatchObject({
      addresses: [{ host: 'host', port: 6379 }],
      username: '',
      password: 'secret',
    })
    expect(parseRedisUrl('rediss://host:1').tls).toBe(true)
  })

  test('comma separated URLs name several nodes', () => {
    expect(parseRedisUrl('redis://localhost:6379/1,redis://localhost:6380/1')).toMatchObject({
      addresses: [
        { host: 'localhost', port: 6379 },
        { host: 'localhost', port: 6380 },
      ],
      db: 1,
    })
  })

  test('errors name the field and what is wrong', () => {
    expect(() => parseRedisUrl('http://x')).toThrow(/url: unsupported scheme "http"/)
    expect(() => parseRedisUrl('not a url')).toThrow(/url: "not a url" is not a URL/)
    expect(() => parseRedisUrl('redis://h/x')).toThrow(/url: invalid database number "x"/)
    expect(() => parseRedisUrl('redis://h/1/2')).toThrow(/url: invalid path/)
  })
})

describe('redisClientFactory', () => {
  test('failover needs the name of the master', () => {
    expect(() =>
      redisClientFactory({ url: 'redis://a:26379', kind: 'failover', master: '', tls: noTls }),
    ).toThrow(/master: .* required when kind is failover/)
  })

  test('builds a client without connecting', () => {
    const client = redisClientFactory({
      url: 'redis://127.0.0.1:1/3',
      kind: 'simple',
      master: '',
      tls: noTls,
    })()
    expect(client.status).toBe('wait')
    client.disconnect()
  })
})

describe('commandError', () => {
  test('an error answer stays an error; anything else means the link is gone', () => {
    const reply = commandError(new ReplyError('WRONGTYPE Operation against a key'), 'redis_list')
    expect(reply).not.toBeInstanceOf(NotConnected)
    expect(reply.message).toBe('redis_list: WRONGTYPE Operation against a key')
    const lost = commandError(new Error('Connection is closed.'), 'redis_list')
    expect(lost).toBeInstanceOf(NotConnected)
    expect(lost.message).toBe('redis_list: Connection is closed.')
  })
})
