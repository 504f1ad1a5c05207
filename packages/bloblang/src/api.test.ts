import { describe, expect, it } from 'vitest'
import {
  BloblangExecError,
  BloblangParseError,
  createEnvironment,
  parse,
  parseInterpolation,
  simpleMethod,
} from './index.ts'
import { closure } from './query.ts'

const text = (b: Uint8Array) => new TextDecoder().decode(b)

describe('Executor.apply', () => {
  it('leaves the payload unchanged when root is not assigned, and sets metadata', () => {
    const out = parse('meta foo = "bar"').apply({ content: '{"a":1}', metadata: { x: 'y' } })
    expect(text(out.content)).toBe('{"a":1}')
    expect(Object.fromEntries(out.metadata)).toEqual({ x: 'y', foo: 'bar' })
  })

  it('reports deletion', () => {
    expect(parse('root = deleted()').apply({ content: '{}' }).deleted).toBe(true)
  })

  it('supports mutation semantics', () => {
    const exe = parse('root.b = this.a + 1\nroot.c = this.b')
    expect(text(exe.apply({ content: '{"a":1}' }, { mutation: true }).content)).toBe('{"a":1,"b":2,"c":2}')
    expect(text(exe.apply({ content: '{"a":1}' }).content)).toBe('{"b":2,"c":null}')
  })

  it('throws typed errors and never leaks JS exceptions', () => {
    expect(() => parse('root = this.a.uppercase()').apply({ content: '{"a":1}' })).toThrow(BloblangExecError)
    expect(() => parse('root = ').apply({ content: '{}' })).toThrow(BloblangParseError)
  })
})

describe('Executor.query', () => {
  it('maps a value', () => {
    expect(parse('root.x = this.a * 2').query({ a: 21 })).toEqual({ x: 42 })
  })
  it('returns the input when root is untouched', () => {
    expect(parse('let a = 1').query('same')).toBe('same')
  })
})

describe('interpolation', () => {
  it('renders interpolated expressions', () => {
    const i = parseInterpolation('id-${! this.id }-${! @k }-${{! literal }}')
    expect(i.isStatic).toBe(false)
    expect(i.render({ content: '{"id":7}', metadata: { k: 'v' } })).toBe('id-7-v-${! literal }')
  })
  it('detects static strings', () => {
    expect(parseInterpolation('plain $ text').isStatic).toBe(true)
    expect(parseInterpolation('plain $ text').render()).toBe('plain $ text')
  })
  it('reports errors with char positions', () => {
    expect(() => parseInterpolation('$' + '{! this.foo ')).toThrow(/^char \d+: /)
  })
})

describe('registry', () => {
  it('lets other packages add methods and functions', () => {
    const env = createEnvironment()
    env.registerMethod(simpleMethod('shout', {}, () => (v) => `${String(v).toUpperCase()}!`))
    env.registerFunction({ name: 'forty_two', ctor: () => closure('function forty_two', () => 42) })
    const exe = parse('root = this.a.shout() + forty_two().string()', { env })
    expect(exe.query({ a: 'hi' })).toBe('HI!42')
    expect(() => parse('root = this.a.shout()')).toThrow("unrecognised method 'shout'")
  })
})
