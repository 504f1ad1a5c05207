import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { expect, test } from 'vitest'
import { requireService } from '../src/index.ts'

test('ioredis XADD, then XREADGROUP and XACK in a consumer group', async () => {
  const { REDIS_URL } = requireService('redis')
  const redis = new Redis(REDIS_URL!)
  const stream = `smoke:${randomUUID()}`
  try {
    const ids = []
    for (let i = 0; i < 3; i++) ids.push(await redis.xadd(stream, '*', 'body', `event ${i}`))
    await redis.xgroup('CREATE', stream, 'smoke', '0')

    const reply = (await redis.xreadgroup(
      'GROUP',
      'smoke',
      'consumer-1',
      'COUNT',
      10,
      'STREAMS',
      stream,
      '>',
    )) as [string, [string, string[]][]][]
    const entries = reply[0]![1]
    expect(entries.map(([id]) => id)).toEqual(ids)
    expect(entries.map(([, fields]) => fields[1])).toEqual(['event 0', 'event 1', 'event 2'])

    const pendingBefore = (await redis.xpending(stream, 'smoke')) as [number, ...unknown[]]
    expect(pendingBefore[0]).toBe(3)
    expect(await redis.xack(stream, 'smoke', ...ids.map(String))).toBe(3)
    const pendingAfter = (await redis.xpending(stream, 'smoke')) as [number, ...unknown[]]
    expect(pendingAfter[0]).toBe(0)
  } finally {
    await redis.del(stream)
    redis.disconnect()
  }
})
