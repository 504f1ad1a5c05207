import { noCredentials } from '@bento-ts/aws'
import { BatchError, Message, silentLogger } from '@bento-ts/core'
import { metadataExcludeFilter } from '@bento-ts/core/kit'
import { describe, expect, test } from 'vitest'
import type { SqsSender } from './input.ts'
import {
  isValidAttributeName,
  maxRequestBytes,
  type SqsEntry,
  type SqsOutputConfig,
  sqsAttributes,
  sqsOutput,
  takeRequest,
} from './output.ts'

const baseConfig: SqsOutputConfig = {
  url: 'http://sqs.local/000000000000/q',
  max_in_flight: 64,
  batching: { count: 0, byte_size: 0, period: '', jitter: 0, check: '' },
  metadata: { exclude_prefixes: [] },
  region: '',
  endpoint: '',
  credentials: noCredentials,
  max_retries: 0,
  backoff: { initial_interval: '1ms', max_interval: '2ms', max_elapsed_time: '5s' },
}

interface Sent {
  Id: string
  MessageBody: string
}

/**
 * A stand-in for SQS's SendMessageBatch: `answer` decides, per call, which entries fail and how;
 * every entry it does not fail counts as accepted.
 */
function fakeSqs(answer: (call: number, entries: Sent[]) => { Id: string; SenderFault: boolean }[] | Error) {
  const calls: Sent[][] = []
  const accepted: string[] = []
  const client: SqsSender = {
    async send(command: { input: { Entries: Sent[] } }) {
      const entries = command.input.Entries
      calls.push(entries)
      const result = answer(calls.length, entries)
      if (result instanceof Error) throw result
      const failedIds = new Set(result.map((f) => f.Id))
      for (const e of entries) if (!failedIds.has(e.Id)) accepted.push(e.MessageBody)
      return {
        Successful: entries.filter((e) => !failedIds.has(e.Id)).map((e) => ({ Id: e.Id })),
        Failed: result.map((f) => ({
          ...f,
          Code: f.SenderFault ? 'InvalidParameterValue' : 'InternalError',
          Message: 'nope',
        })),
      }
    },
    destroy() {},
  }
  return { client, calls, accepted }
}

/** The BatchError a write failed with. */
async function failureOf(write: Promise<void>): Promise<BatchError> {
  const error = await write.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!(error instanceof BatchError)) throw new Error(`expected a BatchError, got ${String(error)}`)
  return error
}

/** The texts of the messages a BatchError names, in batch order. */
const failedTexts = (error: BatchError, batch: Message[]): string[] =>
  batch.filter((m) => error.failures.has(m)).map((m) => m.text())

const batchOf = (n: number) => Array.from({ length: n }, (_, i) => new Message(`m${i}`))
const never = new AbortController().signal

describe('aws_sqs output', () => {
  test('entries SQS failed on its side are sent again alone; accepted ones never twice', async () => {
    // Call 1 fails entries 2 and 7 of the first ten; call 2 (the last two) fails entry 11.
    const sqs = fakeSqs((call) => {
      if (call === 1)
        return [
          { Id: '2', SenderFault: false },
          { Id: '7', SenderFault: false },
        ]
      if (call === 2) return [{ Id: '11', SenderFault: false }]
      return []
    })
    const out = sqsOutput(baseConfig, { logger: silentLogger }, { client: () => sqs.client })
    await out.connect(never)
    await out.write(batchOf(12), never)
    expect(sqs.calls.map((c) => c.map((e) => e.Id))).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['2', '7', '10', '11'],
      ['11'],
    ])
    expect(sqs.accepted.sort()).toEqual(
      batchOf(12)
        .map((m) => m.text())
        .sort(),
    )
  })

  test('an entry SQS refuses fails the write, names the entry, and nothing accepted goes again', async () => {
    const sqs = fakeSqs((call) => (call === 1 ? [{ Id: '3', SenderFault: true }] : []))
    const out = sqsOutput(baseConfig, { logger: silentLogger }, { client: () => sqs.client })
    await out.connect(never)
    const batch = batchOf(15)
    const error = await failureOf(out.write(batch, never))
    expect(error.message).toBe(
      'aws_sqs: SQS refused 1 of 10 entries of a SendMessageBatch to http://sqs.local/000000000000/q: entry 3: InvalidParameterValue: nope',
    )
    expect(sqs.calls).toHaveLength(1)
    expect(sqs.accepted).toHaveLength(9)
    // Failed: the refused entry, and the five never sent; not the nine SQS took.
    expect(failedTexts(error, batch)).toEqual(['m3', 'm10', 'm11', 'm12', 'm13', 'm14'])
    expect(error.failures.get(batch[3]!)!.message).toBe(
      'aws_sqs: SQS refused entry 3: InvalidParameterValue: nope',
    )
  })

  test('a failed request is sent again whole, until the backoff gives up', async () => {
    let failures = 2
    const sqs = fakeSqs(() => (failures-- > 0 ? new Error('connection reset') : []))
    const out = sqsOutput(baseConfig, { logger: silentLogger }, { client: () => sqs.client })
    await out.connect(never)
    await out.write(batchOf(3), never)
    expect(sqs.calls).toHaveLength(3)
    expect(sqs.accepted).toEqual(['m0', 'm1', 'm2'])

    const down = fakeSqs(() => new Error('connection refused'))
    const limited = sqsOutput(
      { ...baseConfig, max_retries: 2 },
      { logger: silentLogger },
      { client: () => down.client },
    )
    await limited.connect(never)
    const one = batchOf(1)
    const error = await failureOf(limited.write(one, never))
    expect(error.message).toBe(
      'aws_sqs: giving up on http://sqs.local/000000000000/q: sending 1 messages failed: connection refused',
    )
    expect(failedTexts(error, one)).toEqual(['m0'])
    expect(down.calls).toHaveLength(3)
  })

  test('entries SQS keeps failing on its side: giving up fails only those, not the ones it took', async () => {
    const sqs = fakeSqs((_call, entries) =>
      entries.filter((e) => e.Id === '2' || e.Id === '7').map((e) => ({ Id: e.Id, SenderFault: false })),
    )
    const out = sqsOutput(
      { ...baseConfig, max_retries: 2 },
      { logger: silentLogger },
      { client: () => sqs.client },
    )
    await out.connect(never)
    const batch = batchOf(12)
    const error = await failureOf(out.write(batch, never))
    expect(sqs.calls.map((c) => c.map((e) => e.Id))).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['2', '7', '10', '11'],
      ['2', '7'],
    ])
    expect(error.message).toMatch(/^aws_sqs: giving up on .*: 2 of 2 entries failed: entry 2: InternalError/)
    expect(failedTexts(error, batch)).toEqual(['m2', 'm7'])
    expect(sqs.accepted).toHaveLength(10)
  })

  test('group, deduplication ids and delays are interpolated per message; a bad delay fails the write', async () => {
    const seen: SqsEntry[][] = []
    const client: SqsSender = {
      async send(command: { input: { Entries: SqsEntry[] } }) {
        seen.push(command.input.Entries)
        return { Successful: [], Failed: [] }
      },
      destroy() {},
    }
    const out = sqsOutput(
      {
        ...baseConfig,
        message_group_id: '${! meta("group") }',
        message_deduplication_id: '${! content() }-${! batch_index() }',
        delay_seconds: '${! meta("delay") }',
      },
      { logger: silentLogger },
      { client: () => client },
    )
    await out.connect(never)
    const batch = [
      new Message('a', [
        ['group', 'g1'],
        ['delay', '5'],
      ]),
      new Message('b', [
        ['group', 'g2'],
        ['delay', '0'],
      ]),
    ]
    await out.write(batch, never)
    expect(seen[0]!.map((e) => [e.MessageGroupId, e.MessageDeduplicationId, e.DelaySeconds])).toEqual([
      ['g1', 'a-0', 5],
      ['g2', 'b-1', 0],
    ])
    await expect(out.write([new Message('c', [['delay', 'soon']])], never)).rejects.toThrow(
      'aws_sqs: delay_seconds must be a whole number of seconds, got "soon"',
    )
  })

  test('metadata: alphabetical, at most 10, SQS-valid names only, no empty values, exclude_prefixes', () => {
    const meta: [string, unknown][] = Array.from({ length: 12 }, (_, i) => [
      `k${String(i).padStart(2, '0')}`,
      i,
    ])
    meta.push(['aws.reserved', 'x'], ['bad key', 'x'], ['empty', ''], ['_skip', 'x'])
    const attributes = sqsAttributes(
      new Message('x', meta),
      metadataExcludeFilter({ exclude_prefixes: ['_'] }),
    )
    expect(Object.keys(attributes!)).toEqual([
      'k00',
      'k01',
      'k02',
      'k03',
      'k04',
      'k05',
      'k06',
      'k07',
      'k08',
      'k09',
    ])
    expect(attributes!.k03).toEqual({ DataType: 'String', StringValue: '3' })
    expect(isValidAttributeName('a.b-c_d')).toBe(true)
    expect(isValidAttributeName('Amazon.x')).toBe(false)
    expect(isValidAttributeName('a..b')).toBe(false)
  })

  test('a request holds at most 10 entries and 256 KiB', () => {
    const small = (i: number): SqsEntry => ({ Id: String(i), MessageBody: 'x' })
    const queue = Array.from({ length: 12 }, (_, i) => small(i))
    expect(takeRequest(queue)).toHaveLength(10)
    expect(queue).toHaveLength(2)
    const big = (i: number): SqsEntry => ({ Id: String(i), MessageBody: 'x'.repeat(maxRequestBytes / 2) })
    const bigs = [big(0), big(1), big(2)]
    expect(takeRequest(bigs).map((e) => e.Id)).toEqual(['0', '1'])
    const huge = [{ Id: '0', MessageBody: 'x'.repeat(maxRequestBytes + 1) }, small(1)]
    expect(takeRequest(huge).map((e) => e.Id)).toEqual(['0'])
  })
})
