import type { Readable } from 'node:stream'
import { EndOfInput, type Input, parseField } from '../../component.ts'
import { defineInput } from '../../kit/declare.ts'
import { autoReplayNacksField } from '../../kit/fields.ts'
import { autoReplayNacks } from '../../replay.ts'
import {
  ByteReader,
  codecFields,
  type ScannerConfig,
  type ScannerStream,
  scannerFromConfig,
} from './scanner.ts'

/** Reads a stream through a scanner; messages are acknowledged to nobody (stdin cannot redeliver). */
export function streamInput(stream: Readable, config: ScannerConfig): Input {
  const creator = parseField(config.codec === undefined ? 'scanner' : 'codec', () =>
    scannerFromConfig(config),
  )
  let scanner: ScannerStream | undefined
  let done = false
  return {
    connect: async () => {},
    async read(signal) {
      if (done) throw new EndOfInput()
      scanner ??= creator.create(new ByteReader(stream))
      let batch: Awaited<ReturnType<ScannerStream['next']>>
      try {
        batch = await scanner.next(signal)
      } catch (err) {
        if (signal.aborted) throw err
        done = true
        await scanner.close()
        throw err
      }
      if (batch === undefined) {
        done = true
        await scanner.close()
        throw new EndOfInput()
      }
      return { batch, ack: async () => {} }
    },
    async close() {
      done = true
      // A read still waiting on the stream would keep the process alive.
      if (scanner !== undefined) await scanner.close()
    },
  }
}

export const stdinInput = defineInput({
  name: 'stdin',
  status: 'stable',
  categories: ['Local'],
  summary:
    'Consumes data piped to stdin, chopping it into individual messages according to the specified scanner.',
  fields: [...codecFields('lines'), autoReplayNacksField()],
  create(config) {
    return autoReplayNacks(streamInput(process.stdin, config), config.auto_replay_nacks)
  },
})
