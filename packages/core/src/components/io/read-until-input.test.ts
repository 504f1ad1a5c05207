import { parse } from '@bento-ts/bloblang'
import { expect, test } from 'vitest'
import { type AckFn, EndOfInput, type Input, InputDraining } from '../../component.ts'
import { Message } from '../../message.ts'
import { readUntil } from './read-until-input.ts'
import { recordingOutput, testEnvironment } from './testkit.ts'

/** Hands out `items`, then ends, or (hang) waits until its read is aborted. */
function listed(items: string[], acks: (string | undefined)[] = [], hang = false): Input {
  let next = 0
  return {
    connect: async () => {},
    close: async () => {},
    read: (signal) => {
      if (next < items.length) {
        const text = items[next++]!
        const ack: AckFn = async (error) => {
          acks.push(error === undefined ? `ack ${text}` : `nack ${text}`)
        }
        return Promise.resolve({ batch: [new Message(text)], ack })
      }
      if (!hang) return Promise.reject(new EndOfInput())
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      )
    },
  }
}

const options = {
  child: () => Promise.reject(new Error('no restart here')),
  check: parse('content() == "stop"'),
  idleMs: undefined,
  restart: false,
  onCheckError: () => {},
  onIdle: () => {},
}

/** Reads to the end, acking each batch with `ackWith(text)`; the texts read, InputDraining as '|'. */
async function drain(input: Input, ackWith: (text: string) => Error | undefined = () => undefined) {
  const signal = new AbortController().signal
  const seen: string[] = []
  for (;;) {
    try {
      const { batch, ack } = await input.read(signal)
      seen.push(batch[0]!.text())
      await ack(ackWith(batch[0]!.text()))
    } catch (err) {
      if (err instanceof EndOfInput) return seen
      if (err instanceof InputDraining) seen.push('|')
      else throw err
    }
  }
}

test('read_until ends once the batch that passes the check is acked, marking it final', async () => {
  const sink = recordingOutput()
  const { start } = testEnvironment({ outputs: { out: sink.output } })
  const stream = await start(`
input:
  read_until:
    check: this.n >= 3
    input: { generate: { interval: "", mapping: 'root.n = counter()' } }
pipeline:
  processors: [ { mutation: 'root.final = @bento_read_until' } ]
output: { test_out: out }
`)
  await stream.done
  expect(sink.messages()).toEqual(['{"final":null,"n":1}', '{"final":null,"n":2}', '{"final":"final","n":3}'])
})

test('a nacked final batch leaves read_until reading; a child that ends first ends it', async () => {
  const acks: (string | undefined)[] = []
  const input = readUntil(listed(['a', 'stop', 'b', 'stop', 'c'], acks), options)
  let nacked = false
  const seen = await drain(input, (text) => {
    if (text !== 'stop' || nacked) return undefined
    nacked = true
    return new Error('output refused')
  })
  expect(seen).toEqual(['a', 'stop', '|', 'b', 'stop', '|'])
  expect(acks).toEqual(['ack a', 'nack stop', 'ack b', 'ack stop'])
  expect(await drain(readUntil(listed(['a']), options))).toEqual(['a'])
})

test('read_until restarts a child that ended, and ends after the idle timeout', async () => {
  let built = 0
  const restarting = readUntil(listed(['a']), {
    ...options,
    restart: true,
    child: async () => (++built === 1 ? listed(['b']) : listed(['stop'])),
  })
  expect(await drain(restarting)).toEqual(['a', 'b', 'stop', '|'])
  let idled = false
  const idle = readUntil(listed(['a'], [], true), {
    ...options,
    idleMs: 50,
    onIdle: () => {
      idled = true
    },
  })
  expect(await drain(idle)).toEqual(['a'])
  expect(idled).toBe(true)
})
