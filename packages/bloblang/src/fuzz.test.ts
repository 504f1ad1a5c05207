// Random text and random documents, for a bounded time: parsing and running never crash, never
// hang, and every failure is one of our typed errors.
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { BloblangExecError, BloblangParseError, parse, parseInterpolation } from './index.ts'

const secondsPerProperty = 3

const tokens = [
  'root',
  'this',
  'meta',
  '@',
  'let',
  '$x',
  'if',
  'else',
  'match',
  'map',
  'apply',
  'import',
  'from',
  '=',
  '.',
  ',',
  ':',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '->',
  '=>',
  '_',
  '!',
  '-',
  '+',
  '*',
  '/',
  '%',
  '==',
  '!=',
  '<',
  '>=',
  '&&',
  '||',
  '|',
  'deleted()',
  'nothing()',
  'uppercase()',
  'map_each',
  'filter',
  'catch',
  'or',
  'not_null()',
  'length()',
  'string()',
  'number()',
  '"str"',
  '"""t"""',
  '1',
  '1.5',
  '-3',
  '9223372036854775807',
  'true',
  'null',
  ' ',
  ' ',
  '\n',
  '# c\n',
  '${!',
  '}',
]

/** Token soup reaches far deeper into the parser than random characters do. */
const tokenSoup = fc.array(fc.constantFrom(...tokens), { maxLength: 40 }).map((t) => t.join(''))

const typed = (err: unknown) => err instanceof BloblangParseError || err instanceof BloblangExecError

function parseOrTypedError(text: string) {
  try {
    return parse(text)
  } catch (err) {
    if (!typed(err)) throw err
    return undefined
  }
}

const run = (property: fc.IProperty<[string]> | fc.IAsyncProperty<[string]>) =>
  fc.assert(property as fc.IProperty<[string]>, {
    interruptAfterTimeLimit: secondsPerProperty * 1000,
    numRuns: 1_000_000,
    markInterruptAsFailure: false,
  })

describe('fuzz', () => {
  test('parse never throws anything but BloblangParseError on random text', () => {
    run(fc.property(fc.string({ maxLength: 80 }), (text) => void parseOrTypedError(text)))
  })

  test('parse never throws anything but BloblangParseError on token soup', () => {
    run(fc.property(tokenSoup, (text) => void parseOrTypedError(`root = ${text}`)))
  })

  test('interpolations never throw anything but BloblangParseError', () => {
    run(
      fc.property(tokenSoup, (text) => {
        try {
          parseInterpolation(`a ${text} \${! ${text} } b`).render({ content: '{}' })
        } catch (err) {
          if (!typed(err)) throw err
        }
      }),
    )
  })

  const mappings = [
    'root = this',
    'root.a = this.a.uppercase()',
    'root = this.map_each(v -> v.string().length())',
    'root.x = this.a + this.b',
    'root = this.keys().sort()',
    'root = match this { this.type() == "object" => this.values(), _ => [this] }',
    'root = this.or("none").string().split(",").map_each(s -> s.trim()).filter(s -> s != "")',
    'meta k = this.k\nroot = @',
    'root = this.a.b.c.catch("fallback")',
  ].map((m) => parse(m))

  test('running mappings on random JSON documents and random bytes fails only with BloblangExecError', () => {
    const documents = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 40 }),
      fc.constant(''),
      fc.constant('{"a":12345678901234567890,"b":1e400}'),
    )
    run(
      fc.property(documents, (doc) => {
        for (const executor of mappings) {
          try {
            const out = executor.apply({ content: doc })
            expect(out.content).toBeInstanceOf(Uint8Array)
          } catch (err) {
            if (!(err instanceof BloblangExecError)) throw err
          }
        }
      }),
    )
  })

  test('token-soup mappings that parse also run without escaping errors', () => {
    run(
      fc.property(tokenSoup, (text) => {
        const executor = parseOrTypedError(`root = ${text}`)
        if (executor === undefined) return
        try {
          executor.apply({ content: '{"a":[1,"x",{"b":null}],"s":"<&>"}' })
        } catch (err) {
          if (!(err instanceof BloblangExecError)) throw err
        }
      }),
    )
  })
})
