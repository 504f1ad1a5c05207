import { expect, test } from 'vitest'
import { closest, editDistance } from './suggest.ts'

test('edit distance counts typos, including swapped neighbours', () => {
  expect(editDistance('kafka', 'kafka')).toBe(0)
  expect(editDistance('kafak', 'kafka')).toBe(1)
  expect(editDistance('adresses', 'addresses')).toBe(1)
  expect(editDistance('', 'abc')).toBe(3)
})

test('only a close enough name is suggested', () => {
  expect(closest('stdot', ['stdout', 'drop', 'stdin'])).toBe('stdout')
  expect(closest('consumer_grup', ['consumer_group', 'client_id'])).toBe('consumer_group')
  expect(closest('zzz', ['stdout', 'drop'])).toBeUndefined()
})
