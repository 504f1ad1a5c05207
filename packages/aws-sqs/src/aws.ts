// The AWS client settings every AWS component shares (Bento's `region`, `endpoint` and
// `credentials` fields), and how they become the options of an AWS SDK v3 client. Exported as
// `@bento-ts/aws-sqs/aws` so the other AWS packages (aws-s3) configure their clients the same way.
import {
  fromIni,
  fromInstanceMetadata,
  fromNodeProviderChain,
  fromTemporaryCredentials,
} from '@aws-sdk/credential-providers'
import { type FieldSpec, field, parseDuration } from '@bento-ts/core'

/** What the SDK's credential providers give (access key, secret, token, expiry). */
export type AwsCredentialIdentity = Awaited<ReturnType<ReturnType<typeof fromNodeProviderChain>>>
/** A function the SDK calls for credentials whenever it needs (fresh) ones. */
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>

export interface AwsCredentialsConfig {
  profile: string
  id: string
  secret: string
  token: string
  role: string
  role_external_id: string
  expiry_window: string
  from_ec2_role: boolean
}

export interface AwsConfig {
  region: string
  endpoint: string
  credentials: AwsCredentialsConfig
}

const credentialFields: FieldSpec[] = [
  field.string('profile', {
    default: '',
    description: 'A profile of the shared AWS config and credentials files (`~/.aws/credentials`) to use.',
  }),
  field.string('id', {
    default: '',
    advanced: true,
    description: 'The access key ID of static credentials.',
  }),
  field.string('secret', {
    default: '',
    advanced: true,
    secret: true,
    description: 'The secret access key of static credentials.',
  }),
  field.string('token', {
    default: '',
    advanced: true,
    secret: true,
    description: 'The session token of static credentials; needed with short-term credentials only.',
  }),
  field.bool('from_ec2_role', {
    default: false,
    description:
      'Use the credentials of the IAM role of the EC2 instance this runs on (instance metadata service).',
  }),
  field.string('role', {
    default: '',
    advanced: true,
    description: 'The ARN of a role to assume (STS AssumeRole) with the credentials found otherwise.',
  }),
  field.string('role_external_id', {
    default: '',
    advanced: true,
    description: 'The external ID to give when assuming `role`.',
  }),
  field.string('expiry_window', {
    default: '',
    advanced: true,
    description:
      'Refresh expiring credentials this long before they expire (a duration such as `10s`), so that no request goes out with credentials about to lapse. Empty or `0`: no window of our own.',
  }),
]

/** Bento's `region`, `endpoint` and `credentials` fields of every AWS component. */
export const awsFields: FieldSpec[] = [
  field.string('region', {
    default: '',
    advanced: true,
    description:
      'The AWS region to use. Empty: the region of the environment (`AWS_REGION`, the shared config file).',
  }),
  field.string('endpoint', {
    default: '',
    advanced: true,
    description:
      'A custom endpoint for the AWS API, e.g. `http://localhost:4566` for a local emulator or an S3-compatible store.',
  }),
  field.object('credentials', credentialFields, {
    advanced: true,
    default: {
      profile: '',
      id: '',
      secret: '',
      token: '',
      from_ec2_role: false,
      role: '',
      role_external_id: '',
      expiry_window: '',
    },
    description:
      'How to authenticate. Nothing set: the SDK default chain (environment variables, shared files, container or instance roles). In order: `profile`, else static `id`/`secret`/`token`; `role` is then assumed with those; `from_ec2_role` overrides all of them.',
  }),
]

/** What an AWS SDK v3 client constructor takes from our settings. */
export interface AwsClientOptions {
  region?: string
  endpoint?: string
  credentials?: AwsCredentialIdentityProvider
}

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
 * `component` names the component in errors.
 */
export function awsCredentials(
  config: AwsConfig,
  component: string,
): AwsCredentialIdentityProvider | undefined {
  const c = config.credentials
  let windowMs = 0
  if (c.expiry_window !== '') {
    try {
      windowMs = parseDuration(c.expiry_window)
    } catch (err) {
      throw new Error(`${component}: credentials.expiry_window: ${(err as Error).message}`)
    }
  }
  let provider: AwsCredentialIdentityProvider | undefined
  if (c.profile !== '') provider = fromIni({ profile: c.profile })
  else if (c.id !== '') {
    if (c.secret === '') throw new Error(`${component}: credentials.id is set without credentials.secret`)
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
    throw new Error(`${component}: credentials.role_external_id is set without credentials.role`)
  }
  if (c.from_ec2_role) provider = fromInstanceMetadata()
  if (provider === undefined) return undefined
  return windowMs > 0 ? refreshBeforeExpiry(provider, windowMs) : provider
}

/** The options of an AWS SDK v3 client: region, endpoint and credentials as configured. */
export function awsClientConfig(config: AwsConfig, component: string): AwsClientOptions {
  const credentials = awsCredentials(config, component)
  return {
    ...(config.region === '' ? {} : { region: config.region }),
    ...(config.endpoint === '' ? {} : { endpoint: config.endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  }
}
