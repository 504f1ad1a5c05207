// Core NATS: the `nats` input and output against the real server.

import { eventually } from '@bento-ts/test-services'
import { headers } from 'nats'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { capturedOf, client, runYaml, text, unique } from './helpers.ts'

const decoder = new TextDecoder()
let nc: Awaited<ReturnType<typeof client>>

beforeAll(async () => {
  nc = await client()
})
afterAll(async () => {
  await nc.close()
})

describe('nats input', () => {
  test('delivers payload, subject, reply subject and headers as metadata, and acks requests', async () => {
    const subject = unique('in')
    const out = unique('cap')
    const stream = await runYaml(`
input:
  label: core_in
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}.>
output:
  capture: ${out}
`)
    try {
      await eventually(
        async () => {
          // a request is answered (+ACK) only once the input has it and the output delivered it
          try {
            const reply = await nc.request(`${subject}.ping`, 'ping', { timeout: 500 })
            return decoder.decode(reply.data) === '+ACK'
          } catch {
            return false
          }
        },
        { what: 'the input to subscribe' },
      )
      const h = headers()
      h.set('Content-Type', 'text/plain')
      h.set('X-Empty', '')
      nc.publish(`${subject}.a.b`, 'hello', { headers: h })
      const reply = await nc.request(`${subject}.req`, 'question', { timeout: 5000 })
      expect(decoder.decode(reply.data)).toBe('+ACK')

      await eventually(() => (capturedOf(out) ?? []).some((m) => text(m) === 'hello'), {
        what: 'both messages',
      })
      const messages = capturedOf(out)
      const hello = messages.find((m) => text(m) === 'hello')!
      expect(hello.metadata.get('nats_subject')).toBe(`${subject}.a.b`)
      expect(hello.metadata.get('nats_reply_subject')).toBe('')
      expect(hello.metadata.get('Content-Type')).toBe('text/plain')
      // the core input keeps empty headers (the JetStream one leaves them out)
      expect(hello.metadata.get('X-Empty')).toBe('')
      const question = messages.find((m) => text(m) === 'question')!
      expect(question.metadata.get('nats_subject')).toBe(`${subject}.req`)
      expect(String(question.metadata.get('nats_reply_subject'))).toMatch(/^_INBOX\./)
    } finally {
      await stream.stop(5000)
    }
  })

  test('send_ack: false leaves requests unanswered; a failed message is NAKed without auto_replay_nacks', async () => {
    const subject = unique('noack')
    const stream = await runYaml(`
input:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}.>
    send_ack: false
    auto_replay_nacks: false
    nak_delay: 2s
output:
  switch:
    cases:
      - check: 'content() == "fail"'
        output:
          reject: 'refused'
      - output:
          drop: {}
`)
    try {
      // Wait for the subscription: a failed message is answered with a NAK carrying the delay.
      let nak = ''
      await eventually(
        async () => {
          try {
            nak = decoder.decode((await nc.request(`${subject}.x`, 'fail', { timeout: 500 })).data)
            return true
          } catch {
            return false
          }
        },
        { what: 'the NAK of a failed message' },
      )
      expect(nak).toBe('-NAK {"delay": 2000000000}')
      // A delivered one gets no answer at all.
      await expect(nc.request(`${subject}.x`, 'fine', { timeout: 1000 })).rejects.toThrow()
    } finally {
      await stream.stop(5000)
    }
  })

  test('request-reply: the sync response of the stream answers the request, with its metadata as headers', async () => {
    const subject = unique('rpc')
    const stream = await runYaml(`
input:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}.>
pipeline:
  processors:
    - mapping: |
        root = content().uppercase()
        meta answered_by = "bento-ts"
    - sync_response: {}
output:
  drop: {}
`)
    try {
      let answer: Awaited<ReturnType<typeof nc.request>> | undefined
      await eventually(
        async () => {
          try {
            answer = await nc.request(`${subject}.upper`, 'shout this', { timeout: 500 })
            return true
          } catch {
            return false
          }
        },
        { what: 'an answer' },
      )
      expect(decoder.decode(answer!.data)).toBe('SHOUT THIS')
      expect(answer!.headers?.get('answered_by')).toBe('bento-ts')
      expect(answer!.headers?.get('nats_subject')).toBe(`${subject}.upper`)
      expect(answer!.headers?.has('__sync_response')).toBe(false)
    } finally {
      await stream.stop(5000)
    }
  })

  test('members of a queue group share the messages', async () => {
    const subject = unique('queue')
    const [a, b] = [unique('qa'), unique('qb')]
    const config = (out: string) => `
input:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}
    queue: workers
output:
  capture: ${out}
`
    const first = await runYaml(config(a))
    const second = await runYaml(config(b))
    try {
      // Both subscriptions are registered once each answered a request.
      await eventually(
        async () => {
          for (let i = 0; i < 10; i++) await nc.request(subject, 'probe', { timeout: 1000 }).catch(() => {})
          return capturedOf(a).length > 0 && capturedOf(b).length > 0
        },
        { what: 'both members' },
      )
      capturedOf(a).length = 0
      capturedOf(b).length = 0
      const total = 400
      for (let i = 0; i < total; i++) nc.publish(subject, `m${i}`)
      await nc.flush()
      await eventually(() => capturedOf(a).length + capturedOf(b).length >= total, {
        what: 'every message',
      })
      const seen = [...capturedOf(a), ...capturedOf(b)].map(text)
      expect(new Set(seen).size).toBe(total)
      expect(seen.length).toBe(total)
      expect(capturedOf(a).length).toBeGreaterThan(0)
      expect(capturedOf(b).length).toBeGreaterThan(0)
    } finally {
      await first.stop(5000)
      await second.stop(5000)
    }
  })
})

describe('nats output', () => {
  test('publishes to an interpolated subject with interpolated headers and selected metadata', async () => {
    const subject = unique('out')
    const got: { subject: string; data: string; headers: Record<string, string[]> }[] = []
    const sub = nc.subscribe(`${subject}.>`, {
      callback: (_err, m) => {
        got.push({
          subject: m.subject,
          data: decoder.decode(m.data),
          headers: Object.fromEntries(m.headers ?? []),
        })
      },
    })
    await nc.flush()
    const stream = await runYaml(`
input:
  generate:
    count: 5
    interval: ""
    mapping: |
      root = "body " + count("${subject}").string()
      meta kind = if count("${subject}_k") % 2 == 0 { "even" } else { "odd" }
      meta keep_me = "yes"
      meta drop_me = "no"
output:
  label: core_out
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}.\${! meta("kind") }
    headers:
      Content-Type: text/plain
      X-Body: \${! content() }
    metadata:
      include_prefixes: [ keep_ ]
`)
    try {
      await stream.done
      await eventually(() => got.length >= 5, { what: 'five messages' })
    } finally {
      await stream.stop(5000)
      sub.unsubscribe()
    }
    expect(got.map((g) => g.data).sort()).toEqual(['body 1', 'body 2', 'body 3', 'body 4', 'body 5'])
    for (const g of got) {
      expect(g.subject).toMatch(new RegExp(`^${subject}\\.(even|odd)$`))
      expect(g.headers['Content-Type']).toEqual(['text/plain'])
      expect(g.headers['X-Body']).toEqual([g.data])
      expect(g.headers.keep_me).toEqual(['yes'])
      expect(g.headers.drop_me).toBeUndefined()
      expect(g.headers.kind).toBeUndefined()
    }
    expect(got.filter((g) => g.subject.endsWith('.odd')).length).toBe(3)
  })

  test('output to input: a message goes through two streams with its headers', async () => {
    const subject = unique('pipe')
    const out = unique('cap')
    const reader = await runYaml(`
input:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}
output:
  capture: ${out}
`)
    try {
      // the reader subscribed once a request to its subject is answered
      await eventually(
        async () => {
          try {
            await nc.request(subject, 'probe', { timeout: 500 })
            return true
          } catch {
            return false
          }
        },
        { what: 'the reader' },
      )
      capturedOf(out).length = 0
      const writer = await runYaml(`
input:
  generate:
    count: 3
    interval: ""
    mapping: |
      root = {"n": count("${subject}")}
      meta trace_id = "t" + count("${subject}_t").string()
output:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}
    metadata:
      include_patterns: [ "^trace_" ]
`)
      await writer.done
      await eventually(() => capturedOf(out).length >= 3, { what: 'three messages' })
      const messages = capturedOf(out)
      expect(messages.map(text).sort()).toEqual(['{"n":1}', '{"n":2}', '{"n":3}'])
      expect(messages.map((m) => m.metadata.get('trace_id')).sort()).toEqual(['t1', 't2', 't3'])
      for (const m of messages) expect(m.metadata.get('nats_subject')).toBe(subject)
    } finally {
      await reader.stop(5000)
    }
  })
})
