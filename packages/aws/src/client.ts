// How the AWS settings of a component become the options of an AWS SDK v3 client.
import { type AwsCredentialIdentityProvider, awsCredentials } from './credentials.ts'
import type { AwsConfig } from './fields.ts'

/** What an AWS SDK v3 client constructor takes from our settings. */
export interface AwsClientOptions {
  region?: string
  endpoint?: string
  credentials?: AwsCredentialIdentityProvider
}

/**
 * The options of an AWS SDK v3 client: region, endpoint and credentials as configured. Throws a
 * FieldError for credentials that cannot work.
 */
export function awsClientConfig(config: AwsConfig): AwsClientOptions {
  const credentials = awsCredentials(config)
  return {
    ...(config.region === '' ? {} : { region: config.region }),
    ...(config.endpoint === '' ? {} : { endpoint: config.endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  }
}
