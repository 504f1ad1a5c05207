import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FieldError } from '@bento-ts/core'
import { describe, expect, test } from 'vitest'
import { awsClientConfig } from './client.ts'
import { awsCredentials, refreshBeforeExpiry } from './credentials.ts'
import { type AwsConfig, type AwsCredentialsConfig, noCredentials } from './fields.ts'

const config = (
  credentials: Partial<AwsCredentialsConfig> = {},
  over: Partial<AwsConfig> = {},
): AwsConfig => ({
  region: '',
  endpoint: '',
  credentials: { ...noCredentials, ...credentials },
  ...over,
})

describe('aws client settings', () => {
  test('nothing set: the SDK default chain, region and endpoint left to the environment', () => {
    expect(awsClientConfig(config())).toEqual({})
    const options = awsClientConfig(config({}, { region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' }))
    expect(options.region).toBe('eu-west-1')
    expect(options.endpoint).toBe('http://127.0.0.1:1')
    expect(options.credentials).toBeUndefined()
  })

  test('static credentials, with and without a session token', async () => {
    expect(await awsCredentials(config({ id: 'AKID', secret: 'S' }))!()).toEqual({
      accessKeyId: 'AKID',
      secretAccessKey: 'S',
    })
    expect(await awsCredentials(config({ id: 'AKID', secret: 'S', token: 'T' }))!()).toEqual({
      accessKeyId: 'AKID',
      secretAccessKey: 'S',
      sessionToken: 'T',
    })
  })

  test('a profile of the shared credentials file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aws-profile-'))
    const file = join(dir, 'credentials')
    writeFileSync(file, '[other]\naws_access_key_id = PROFILEID\naws_secret_access_key = PROFILESECRET\n')
    const saved = {
      credentials: process.env.AWS_SHARED_CREDENTIALS_FILE,
      config: process.env.AWS_CONFIG_FILE,
    }
    process.env.AWS_SHARED_CREDENTIALS_FILE = file
    process.env.AWS_CONFIG_FILE = join(dir, 'config')
    try {
      const identity = await awsCredentials(config({ profile: 'other' }))!()
      expect(identity.accessKeyId).toBe('PROFILEID')
      expect(identity.secretAccessKey).toBe('PROFILESECRET')
    } finally {
      for (const [key, value] of [
        ['AWS_SHARED_CREDENTIALS_FILE', saved.credentials],
        ['AWS_CONFIG_FILE', saved.config],
      ] as const) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
      rmSync(dir, { recursive: true })
    }
  })

  test('settings that cannot work are a FieldError naming the field', () => {
    const refusal = (c: AwsConfig): FieldError => {
      try {
        awsCredentials(c)
      } catch (err) {
        if (err instanceof FieldError) return err
        throw err
      }
      throw new Error('accepted')
    }
    expect(refusal(config({ id: 'AKID' }))).toMatchObject({
      field: 'credentials.id',
      message: 'credentials.id: is set without credentials.secret',
    })
    expect(refusal(config({ role_external_id: 'e' }))).toMatchObject({
      field: 'credentials.role_external_id',
      message: 'credentials.role_external_id: is set without credentials.role',
    })
    expect(refusal(config({ id: 'a', secret: 'b', expiry_window: 'soon' })).field).toBe(
      'credentials.expiry_window',
    )
  })

  test('expiry_window: credentials are fetched again once they are within the window of expiring', async () => {
    let clock = 0
    let fetched = 0
    const provider = async () => {
      fetched++
      return { accessKeyId: `k${fetched}`, secretAccessKey: 's', expiration: new Date(clock + 60_000) }
    }
    const cached = refreshBeforeExpiry(provider, 10_000, () => clock)
    expect((await cached()).accessKeyId).toBe('k1')
    clock = 49_000
    expect((await cached()).accessKeyId).toBe('k1')
    clock = 50_001
    expect((await cached()).accessKeyId).toBe('k2')
    const [a, b] = await Promise.all([cached(), cached()])
    expect(a).toBe(b)
    expect(fetched).toBe(2)
  })
})
