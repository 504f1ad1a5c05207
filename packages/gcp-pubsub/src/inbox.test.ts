import { describe, expect, test } from 'vitest'
import { Inbox } from './inbox.ts'

const never = new AbortController().signal

describe('Inbox', () => {
  test('hands out items in the order they came', async () => {
    const inbox = new Inbox<number>()
    for (let i = 0; i < 3000; i++) inbox.push(i)
    const got: number[] = []
    for (let i = 0; i < 3000; i++) got.push(await inbox.take(never))
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i))
    expect(inbox.size).toBe(0)
  })

  test('a waiting reader gets the next item pushed', async () => {
    const inbox = new Inbox<string>()
    const first = inbox.take(never)
    const second = inbox.take(never)
    inbox.push('a')
    inbox.push('b')
    expect(await first).toBe('a')
    expect(await second).toBe('b')
    expect(inbox.size).toBe(0)
  })

  test('an aborted wait takes nothing', async () => {
    const inbox = new Inbox<string>()
    const stop = new AbortController()
    const waiting = inbox.take(stop.signal)
    stop.abort(new Error('stopped'))
    await expect(waiting).rejects.toThrow('stopped')
    inbox.push('kept')
    expect(await inbox.take(never)).toBe('kept')
  })

  test('failing rejects readers, refuses new items and returns what was held', async () => {
    const inbox = new Inbox<string>()
    inbox.push('x')
    inbox.push('y')
    expect(inbox.fail(new Error('broken'))).toEqual(['x', 'y'])
    await expect(inbox.take(never)).rejects.toThrow('broken')
    expect(inbox.push('z')).toBe(false)
    expect(inbox.failed).toBe(true)
  })

  test('failing rejects a reader already waiting', async () => {
    const inbox = new Inbox<string>()
    const waiting = inbox.take(never)
    inbox.fail(new Error('gone'))
    await expect(waiting).rejects.toThrow('gone')
  })
})
