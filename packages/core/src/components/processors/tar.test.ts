import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { readTar, writeTar } from './tar.ts'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

test("an archive is Go's size: a header and padded data per entry, then two zero blocks", () => {
  expect(
    writeTar(
      [
        { name: '', data: bytes('a') },
        { name: '', data: bytes('b') },
      ],
      0,
    ).length,
  ).toBe(3072)
  expect(writeTar([], 0).length).toBe(1024)
  expect(writeTar([{ name: 'x', data: new Uint8Array(512) }], 0).length).toBe(2048)
})

test('entries with empty names are entries; reading stops at the zero blocks only', () => {
  const archive = writeTar(
    [
      { name: '', data: bytes('first') },
      { name: '', data: bytes('') },
      { name: 'third', data: bytes('3') },
    ],
    Date.UTC(2024, 0, 1),
  )
  expect(readTar(archive).map((e) => [e.name, text(e.data)])).toEqual([
    ['', 'first'],
    ['', ''],
    ['third', '3'],
  ])
})

test('long and non-ASCII names round-trip; the system tar reads what we write and we read what it writes', () => {
  const long = `${'d/'.repeat(70)}file.txt`
  const archive = writeTar(
    [
      { name: long, data: bytes('long') },
      { name: 'ünï.txt', data: bytes('u') },
    ],
    0,
  )
  expect(readTar(archive).map((e) => e.name)).toEqual([long, 'ünï.txt'])
  const dir = mkdtempSync(join(tmpdir(), 'bento-ts-tar-'))
  try {
    writeFileSync(join(dir, 'ours.tar'), archive)
    expect(execFileSync('tar', ['-tf', join(dir, 'ours.tar')], { encoding: 'utf8' }).split('\n')).toEqual([
      long,
      'ünï.txt',
      '',
    ])
    writeFileSync(join(dir, 'a.txt'), 'A')
    execFileSync('tar', ['-cf', join(dir, 'theirs.tar'), '-C', dir, 'a.txt'])
    expect(readTar(readFileSync(join(dir, 'theirs.tar'))).map((e) => [e.name, text(e.data)])).toEqual([
      ['a.txt', 'A'],
    ])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a damaged header is an error, not an early end', () => {
  const archive = writeTar([{ name: 'a', data: bytes('x') }], 0)
  archive[0] = 'b'.charCodeAt(0)
  expect(() => readTar(archive)).toThrow('archive/tar: invalid tar header')
})
