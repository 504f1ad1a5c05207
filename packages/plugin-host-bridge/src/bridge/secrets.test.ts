import { addPlugin, createEnvironment, field, type Plugin } from '@bento-ts/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createPluginLogger } from '../log.ts'
import { addConfigSecrets, addMetadataSecrets, addSecret, forgetSecrets, maskSecrets } from './secrets.ts'

afterEach(forgetSecrets)

const envWithSecretField = () => {
  const env = createEnvironment()
  const plugin: Plugin<'output'> = {
    spec: {
      name: 'vault_sink',
      kind: 'output',
      summary: 'test',
      fields: [
        field.string('url', {}),
        field.object('auth', [field.string('user', {}), field.string('pin', { secret: true })]),
      ],
    },
    create: () => ({ connect: async () => {}, write: async () => {}, close: async () => {} }),
  }
  addPlugin(env, plugin)
  return env
}

describe('secret masking', () => {
  it('masks fields marked secret by the spec and credential-looking keys, not the rest', () => {
    addConfigSecrets(
      {
        output: { vault_sink: { url: 'http://example', auth: { user: 'alice', pin: 'pin-4242-xyz' } } },
        extra: { api_key: 'AKIA-known-value', note: 'plain text' },
      },
      envWithSecretField(),
    )
    expect(maskSecrets('failed with pin-4242-xyz at http://example for alice')).toBe(
      'failed with ****** at http://example for alice',
    )
    expect(maskSecrets('key AKIA-known-value')).toBe('key ******')
    expect(maskSecrets('plain text')).toBe('plain text')
  })

  it('masks values of credential-looking metadata keys', () => {
    addMetadataSecrets([
      ['Authorization', 'Bearer tok-123456'],
      ['x-request-id', 'req-1'],
    ])
    expect(maskSecrets('header Bearer tok-123456 id req-1')).toBe('header ****** id req-1')
  })

  it('masks every log line of the plugin logger', () => {
    addSecret('hunter2-secret')
    const lines: string[] = []
    const logger = createPluginLogger({ write: (l) => lines.push(l) })
    logger.error('connect failed: password hunter2-secret rejected', { detail: 'hunter2-secret' })
    expect(lines.join('')).not.toContain('hunter2-secret')
    expect(lines.join('')).toContain('password ****** rejected')
  })

  it('ignores values too short to be told apart from ordinary text', () => {
    addSecret('ab')
    expect(maskSecrets('abc')).toBe('abc')
  })
})
