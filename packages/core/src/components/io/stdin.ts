import type { Readable } from 'node:stream'
import { EndOfInput, type Input, type Plugin } from '../../component.ts'
import { autoReplayNacks } from '../../replay.ts'
import { field } from '../../spec.ts'
import {
  ByteReader,
  codecFields,
  type ScannerConfig,
  type ScannerStream,
  scannerFromConfig,
} from './scanner.ts'

interface StdinConfig extends ScannerConfig {
  auto_replay_nacks: boolean
}

/** Reads a stream through a scanner; messages are acknowledged to nobody (stdin cannot redeliver). */
export function streamInput(stream: Readable, config: ScannerConfig): Input {
  const creator = scannerFromConfig(config)
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

export const stdinInput: Plugin<'input'> = {
  spec: {
    name: 'stdin',
    kind: 'input',
    status: 'stable',
    categories: ['Local'],
    summary:
      'Consumes data piped to stdin, chopping it into individual messages according to the specified scanner.',
    fields: [
      ...codecFields('lines'),
      field.bool('auto_replay_nacks', {
        default: true,
        description:
          'Whether messages that are rejected (nacked) at the output level should be automatically replayed indefinitely, eventually resulting in back pressure if the cause of the rejections is persistent. If set to `false` these messages will instead be deleted. Disabling auto replays can greatly improve memory efficiency of high throughput streams as the original shape of the data can be discarded immediately upon consumption and mutation.',
      }),
    ],
  },
  create(config: StdinConfig) {
    return autoReplayNacks(streamInput(process.stdin, config), config.auto_replay_nacks)
  },
}
