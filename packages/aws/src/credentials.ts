// The credentials provider an AWS component's `credentials` settings describe: a profile, static
// keys, an assumed role or the instance's role, refreshed ahead of expiry when asked to.
import {
  fromIni,
  fromInstanceMetadata,
  fromNodeProviderChain,
  fromTemporaryCredentials,
} from '@aws-sdk/credential-providers'
import { FieldError, parseDuration } from '@bento-ts/core'
import type { AwsConfig } from './fields.ts'

/** What the SDK's credential providers give (access key, secret, token, expiry). */
export type AwsCredentialIdentity = Awaited<ReturnType<ReturnType<typeof fromNodeProviderChain>>>
/** A function the SDK calls for credentials whenever it needs (fresh) ones. */
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>

/**
 * Caches the identity a provider gives until `windowMs` before it expires; identities without an
 * expiry are kept for good. Concurrent callers share one refresh.
 */
export function refreshBeforeExpiry(
  provider: AwsCredentialIdentityProvider,
  windowMs: number,
  now: () => number = Date.now,
): AwsCredentialIdentityProvider {
  let cached: AwsCredentialIdentity | undefined
  let refreshing: Promise<AwsCredentialIdentity> | undefined
  const fresh = (identity: AwsCredentialIdentity): boolean =>
    identity.expiration === undefined || identity.expiration.getTime() - windowMs > now()
  return async () => {
    if (cached !== undefined && fresh(cached)) return cached
    refreshing ??= Promise.resolve(provider()).finally(() => {
      refreshing = undefined
    })
    cached = await refreshing
    return cached
  }
}

/**
 * The credentials provider the settings describe, or undefined for the SDK's default chain.
 * Settings that cannot work are a FieldError naming the field.
 */
export function awsCredentials(config: AwsConfig): AwsCredentialIdentityProvider | undefined {
  const c = config.credentials
  let windowMs = 0
  if (c.expiry_window !== '') {
    try {
      windowMs = parseDuration(c.expiry_window)
    } catch (err) {
      throw new FieldError('credentials.expiry_window', (err as Error).message, { cause: err })
    }
  }
  let provider: AwsCredentialIdentityProvider | undefined
  if (c.profile !== '') provider = fromIni({ profile: c.profile })
  else if (c.id !== '') {
    if (c.secret === '') throw new FieldError('credentials.id', 'is set without credentials.secret')
    const identity: AwsCredentialIdentity = {
      accessKeyId: c.id,
      secretAccessKey: c.secret,
      ...(c.token === '' ? {} : { sessionToken: c.token }),
    }
    provider = async () => identity
  }
  if (c.role !== '') {
    provider = fromTemporaryCredentials({
      params: {
        RoleArn: c.role,
        RoleSessionName: `bento-ts-${Date.now()}`,
        ...(c.role_external_id === '' ? {} : { ExternalId: c.role_external_id }),
      },
      masterCredentials: provider ?? fromNodeProviderChain(),
      clientConfig: {
        ...(config.region === '' ? {} : { region: config.region }),
        ...(config.endpoint === '' ? {} : { endpoint: config.endpoint }),
      },
    })
  } else if (c.role_external_id !== '') {
    throw new FieldError('credentials.role_external_id', 'is set without credentials.role')
  }
  if (c.from_ec2_role) provider = fromInstanceMetadata()
  if (provider === undefined) return undefined
  return windowMs > 0 ? refreshBeforeExpiry(provider, windowMs) : provider
}
