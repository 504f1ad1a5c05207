// Every documented Bento example (extracted from Bento by the oracle at test time) of every
// function and method we implement must produce the documented output. Examples that use a name
// we do not have yet are not run and are counted as "not implemented" in CONFORMANCE.md; known
// gaps are listed with a reason in allow-list.yaml and must still fail (so a fix removes them).
import { describe, expect, test } from 'vitest'
import { executable, isImplemented, loadAllowList, loadExamples, missingName, runExample } from './oracle.ts'

const examples = loadExamples()
const allowed = new Map(loadAllowList().examples.map((g) => [g.id, g.reason]))
const ours = examples.filter((ex) => executable(ex) && isImplemented(ex))
// Decided before running: an example whose mapping uses a name we lack is not a test of us.
const runnable = ours.filter((ex) => missingName(ex) === undefined)

describe('documented examples of implemented functions and methods', () => {
  test('the oracle extracted Bento v1.20.0 examples', () => {
    expect(examples.length).toBeGreaterThan(300)
    expect(runnable.length).toBeGreaterThan(150)
  })

  for (const ex of runnable) {
    const reason = allowed.get(ex.id)
    if (reason === undefined) {
      test(ex.id, () => {
        expect(runExample(ex)).toEqual({ status: 'passed' })
      })
    } else {
      test(`${ex.id} still differs (allowed: ${reason})`, () => {
        expect(runExample(ex).status).toBe('failed')
      })
    }
  }

  test('every allow-listed example exists', () => {
    const ids = new Set(examples.map((e) => e.id))
    expect([...allowed.keys()].filter((id) => !ids.has(id))).toEqual([])
  })
})
