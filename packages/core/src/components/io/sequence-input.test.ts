import { expect, test } from 'vitest'
import { EndOfInput, type Input } from '../../component.ts'
import { Message } from '../../message.ts'
import { sequenceOf } from './sequence-input.ts'
import { recordingOutput, testEnvironment } from './testkit.ts'

/** An input of fixed messages that logs when it is connected, read dry and closed. */
function listed(name: string, items: string[], log: string[]): Input {
  let next = 0
  return {
    connect: async () => {
      log.push(`connect ${name}`)
    },
    read: async () => {
      if (next >= items.length) {
        log.push(`end ${name}`)
        throw new EndOfInput()
      }
      return { batch: [new Message(items[next++]!)], ack: async () => {} }
    },
    close: async () => {
      log.push(`close ${name}`)
    },
  }
}

test('a sequence connects each child only once the one before it has ended, then ends itself', async () => {
  const log: string[] = []
  const input = sequenceOf([listed('a', ['1', '2'], log), listed('b', ['3'], log)])
  const signal = new AbortController().signal
  await input.connect(signal)
  const read: string[] = []
  await expect(
    (async () => {
      for (;;) read.push((await input.read(signal)).batch[0]!.text())
    })(),
  ).rejects.toBeInstanceOf(EndOfInput)
  await input.close()
  expect(read).toEqual(['1', '2', '3'])
  expect(log).toEqual(['connect a', 'end a', 'close a', 'connect b', 'end b', 'close b'])
})

test('a sequence of configured inputs drains the first before the second; a sharded join is a lint error at its path', async () => {
  const sink = recordingOutput()
  const { start } = testEnvironment({ outputs: { out: sink.output } })
  const stream = await start(`
input:
  sequence:
    inputs:
      - generate: { count: 2, interval: "", mapping: 'root = "a" + counter().string()' }
      - generate: { count: 2, interval: "", mapping: 'root = "b" + counter().string()' }
output: { test_out: out }
`)
  await stream.done
  expect(sink.messages()).toEqual(['a1', 'a2', 'b1', 'b2'])
  await expect(async () =>
    start(`
input:
  sequence:
    sharded_join: { type: full-outer, id_path: id }
    inputs: [ { generate: { count: 1, mapping: 'root = 1' } } ]
output: { test_out: out }
`),
  ).rejects.toThrow('input.sequence.sharded_join.type: "full-outer" is not one of none')
})
