import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FieldError } from '@bento-ts/core'
import { noTls } from '@bento-ts/core/kit'
import { nkeys } from 'nats'
import { describe, expect, test } from 'vitest'
import { authenticators, connectionOptions, expandPath, parseUrls, seedFromFile } from './connection.ts'

describe('parseUrls', () => {
  test('expands comma-separated items', () => {
    expect(parseUrls(['nats://a:4222, nats://b:4222', 'nats://c:4222']).servers).toEqual([
      'nats://a:4222',
      'nats://b:4222',
      'nats://c:4222',
    ])
  })

  test('takes credentials out of the URL', () => {
    expect(parseUrls(['nats://alice:s%40cret@host:4222'])).toEqual({
      servers: ['nats://host:4222'],
      user: 'alice',
      pass: 's@cret',
    })
    expect(parseUrls(['nats://tok3n@host:4222'])).toEqual({
      servers: ['nats://host:4222'],
      token: 'tok3n',
    })
    expect(parseUrls(['host:4222']).servers).toEqual(['host:4222'])
  })

  test('no URL at all is a FieldError naming the field', () => {
    expect(() => parseUrls([' , '])).toThrow(FieldError)
    expect(() => parseUrls([' , '])).toThrow('urls: at least one URL is required')
  })
})

describe('connectionOptions', () => {
  test('names the connection after the label and keeps reconnecting', () => {
    const o = connectionOptions('nats', { urls: ['nats://127.0.0.1:4222'], tls: noTls }, 'my_label')
    expect(o.name).toBe('my_label')
    expect(o.maxReconnectAttempts).toBe(-1)
    expect(o.tls).toBeUndefined()
    expect(o.authenticator).toBeUndefined()
  })

  test('passes TLS settings to Node', () => {
    const o = connectionOptions(
      'nats',
      {
        urls: ['tls://h:4222'],
        tls: { ...noTls, enabled: true, skip_cert_verify: true, root_cas: 'CA PEM' },
      },
      'x',
    )
    expect(o.tls).toMatchObject({ rejectUnauthorized: false, ca: ['CA PEM'] })
  })

  test('a JWT without its seed (or the other way round) is an error naming the missing field', () => {
    expect(() => authenticators('nats', { user_jwt: 'jwt' })).toThrow(
      'auth.user_nkey_seed: is required when auth.user_jwt is set',
    )
    expect(() => authenticators('nats', { user_nkey_seed: 'SU...' })).toThrow(
      'auth.user_jwt: is required when auth.user_nkey_seed is set',
    )
    expect(authenticators('nats', {})).toEqual([])
  })

  test('an unreadable credentials file is reported when the connection authenticates', () => {
    const [auth] = authenticators('nats_jetstream', { user_credentials_file: '/nonexistent/user.creds' })
    expect(() => auth!('nonce')).toThrow(
      'nats_jetstream: auth.user_credentials_file: cannot read /nonexistent/user.creds',
    )
  })

  test('an nkey seed file authenticates with the seed it holds', () => {
    const user = nkeys.createUser()
    const seed = new TextDecoder().decode(user.getSeed())
    const dir = mkdtempSync(join(tmpdir(), 'nkey-'))
    const file = join(dir, 'user.nk')
    writeFileSync(file, `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`)
    const [auth] = authenticators('nats', { nkey_file: file })
    const answer = auth!('bm9uY2U') as { nkey: string; sig: string }
    expect(answer.nkey).toBe(user.getPublicKey())
    expect(answer.sig.length).toBeGreaterThan(0)
  })
})

test('seedFromFile finds the seed in a decorated file or takes the bare one', () => {
  expect(seedFromFile('SUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n')).toBe(
    'SUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  )
  expect(seedFromFile('  something else  ')).toBe('something else')
})

test('expandPath expands ~ and environment variables like Bento', () => {
  expect(expandPath('~/creds/$USER_NAME.creds', { HOME: '/home/x', USER_NAME: 'bob' })).toBe(
    '/home/x/creds/bob.creds',
  )
  expect(expandPath('${DIR}/a', { DIR: '/etc' })).toBe('/etc/a')
})
