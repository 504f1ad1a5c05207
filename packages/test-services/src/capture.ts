// The `capture` output of the integration tests: records what a stream delivered, in memory, so a
// test can look at content, metadata and batch boundaries. It can refuse a message (the write
// fails, the stream nacks it, the input must deliver it again) and hold writes (so what an input
// hands out piles up in flight).
import type { CoreModule, StreamMessage } from './runtime.ts'

export interface Capture<M extends StreamMessage = StreamMessage> {
  /** what a stream's output names it: `capture: <name>` */
  name: string
  /** every message written, in order, duplicates included (copies, safe to keep) */
  messages: M[]
  /** the size of every batch written */
  batches: number[]
  /** how many writes failed because `refuse` said so */
  refused: number
  /** return true to fail the write of the batch holding this message (it is nacked) */
  refuse?: (message: M) => boolean
  /** when set, writes wait for it */
  hold?: Promise<void>
  /** the texts of what arrived */
  texts(): string[]
}

export function createCapture<M extends StreamMessage = StreamMessage>(name: string): Capture<M> {
  const capture: Capture<M> = {
    name,
    messages: [],
    batches: [],
    refused: 0,
    texts: () => capture.messages.map((m) => m.text()),
  }
  return capture
}

/** Captures by name, each made on first use (by a stream writing to it or by the test reading it). */
export function captureRegistry(): (name: string) => Capture {
  const captures = new Map<string, Capture>()
  return (name) => {
    let capture = captures.get(name)
    if (capture === undefined) {
      capture = createCapture(name)
      captures.set(name, capture)
    }
    return capture
  }
}

/**
 * Adds `capture: <name>` to an environment, writing into `captureOf(name)`. The output allows
 * several writes outstanding so a test can write with more than one batch in flight.
 */
export function addCaptureOutput(core: CoreModule, env: object, captureOf: (name: string) => Capture): void {
  core.addPlugin(env, {
    spec: {
      name: 'capture',
      kind: 'output',
      summary: 'test output: records delivered messages in memory',
      value: core.field.string('capture'),
    },
    create: (name: string) => {
      const capture = captureOf(name)
      return {
        maxInFlight: 64,
        connect: async () => {},
        close: async () => {},
        async write(batch: StreamMessage[]) {
          if (capture.hold !== undefined) await capture.hold
          const refuse = capture.refuse
          if (refuse !== undefined && batch.some((m) => refuse(m))) {
            capture.refused++
            throw new Error('refused by the test')
          }
          capture.batches.push(batch.length)
          for (const m of batch) capture.messages.push(m.copy())
        },
      }
    },
  })
}
