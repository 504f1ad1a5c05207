import { describe, expect, it } from 'vitest'
import { checkEmit, checkSubscribe, mayEmit, maySubscribe, parseEventPermissions } from './permissions.ts'
import { matchTopic, patternWithin, topicProblem } from './topics.ts'

describe('matchTopic', () => {
  it('matches exact topics', () => {
    expect(matchTopic('orders.created', 'orders.created')).toBe(true)
    expect(matchTopic('orders.created', 'orders.updated')).toBe(false)
    expect(matchTopic('orders', 'orders.created')).toBe(false)
    expect(matchTopic('orders.created', 'orders')).toBe(false)
  })
  it('* matches exactly one segment', () => {
    expect(matchTopic('orders.*', 'orders.created')).toBe(true)
    expect(matchTopic('orders.*', 'orders.eu.created')).toBe(false)
    expect(matchTopic('orders.*', 'orders')).toBe(false)
    expect(matchTopic('*.created', 'orders.created')).toBe(true)
    expect(matchTopic('*', 'orders')).toBe(true)
    expect(matchTopic('a.*.c', 'a.b.c')).toBe(true)
    expect(matchTopic('a.*.c', 'a.b.x.c')).toBe(false)
  })
  it('** matches one or more segments', () => {
    expect(matchTopic('orders.**', 'orders.created')).toBe(true)
    expect(matchTopic('orders.**', 'orders.eu.created')).toBe(true)
    expect(matchTopic('orders.**', 'orders')).toBe(false)
    expect(matchTopic('**', 'a')).toBe(true)
    expect(matchTopic('**', 'a.b.c.d.e.f.g.h')).toBe(true)
    expect(matchTopic('a.**.z', 'a.b.c.d.z')).toBe(true)
    expect(matchTopic('a.**.z', 'a.z')).toBe(false)
    expect(matchTopic('**.z', 'a.b.z')).toBe(true)
    expect(matchTopic('a.**.*', 'a.b.c')).toBe(true)
    expect(matchTopic('a.**.*', 'a.b')).toBe(false)
  })
  it('handles empty and many segments', () => {
    expect(matchTopic('', '')).toBe(true)
    expect(matchTopic('a', '')).toBe(false)
    const long = Array.from({ length: 200 }, (_, i) => `s${i}`).join('.')
    expect(matchTopic('s0.**', long)).toBe(true)
    expect(matchTopic('**.s199', long)).toBe(true)
    expect(matchTopic('s0.*.**.s199', long)).toBe(true)
    expect(matchTopic('s1.**', long)).toBe(false)
  })
})

describe('topicProblem', () => {
  it('accepts topics and patterns', () => {
    expect(topicProblem('orders.*.created')).toBeUndefined()
    expect(topicProblem('orders.**')).toBeUndefined()
  })
  it('names what is wrong', () => {
    expect(topicProblem('')).toBe('is empty')
    expect(topicProblem('a..b')).toContain('empty segment at position 2')
    expect(topicProblem('a.b*')).toContain('mixes "*" with text')
    expect(topicProblem('a.*', false)).toContain('must be a plain name')
  })
})

describe('patternWithin', () => {
  it('compares what two patterns match', () => {
    expect(patternWithin('orders.created', 'orders.*')).toBe(true)
    expect(patternWithin('orders.*', 'orders.*')).toBe(true)
    expect(patternWithin('orders.*', 'orders.**')).toBe(true)
    expect(patternWithin('orders.**', 'orders.*')).toBe(false)
    expect(patternWithin('orders.**', 'orders.**')).toBe(true)
    expect(patternWithin('orders.eu.*', 'orders.**')).toBe(true)
    expect(patternWithin('orders.*', 'orders.created')).toBe(false)
    expect(patternWithin('a.**', 'a.*.**')).toBe(false)
    expect(patternWithin('a.b.**', 'a.*.**')).toBe(true)
    expect(patternWithin('**', '**')).toBe(true)
    expect(patternWithin('x', '**')).toBe(true)
  })
})

describe('event permissions', () => {
  const p = parseEventPermissions(
    { emit: ['orders.**'], subscribe: ['payments.*', 'audit.**'] },
    'plugin.json',
  )
  it('allows what the lists cover', () => {
    expect(mayEmit(p, 'orders.eu.created')).toBe(true)
    expect(mayEmit(p, 'payments.done')).toBe(false)
    expect(maySubscribe(p, 'payments.done')).toBe(true)
    expect(maySubscribe(p, 'payments.*')).toBe(true)
    expect(maySubscribe(p, 'payments.**')).toBe(false)
    expect(maySubscribe(p, 'audit.x.y')).toBe(true)
  })
  it('is unrestricted without lists', () => {
    expect(mayEmit({}, 'anything')).toBe(true)
    expect(maySubscribe({}, '**')).toBe(true)
  })
  it('explains a refusal', () => {
    expect(() => checkEmit(p, 'payments.done', 'bento.input "in"')).toThrow(
      'bento.input "in": target_topic "payments.done" is outside the plugin\'s events.emit (orders.**)',
    )
    expect(() => checkSubscribe(p, 'orders.*', 'bento.output "out"')).toThrow(
      "outside the plugin's events.subscribe",
    )
  })
  it('rejects bad config with its place', () => {
    expect(() => parseEventPermissions({ emit: 'x' }, 'plugin.json')).toThrow(
      'plugin.json: events.emit must be a list',
    )
    expect(() => parseEventPermissions({ emit: ['a..b'] }, 'plugin.json')).toThrow(
      'events.emit[0] "a..b" has an empty segment',
    )
    expect(() => parseEventPermissions({ publish: [] }, 'plugin.json')).toThrow(
      'events.publish is not a field',
    )
  })
})
