// The AWS kit of bento-ts: what every AWS connector package (aws-sqs, aws-s3, and the ones to
// come) shares, so each declares and connects the same way.
export { type AwsClientOptions, awsClientConfig } from './client.ts'
export {
  type AwsCredentialIdentity,
  type AwsCredentialIdentityProvider,
  awsCredentials,
  refreshBeforeExpiry,
} from './credentials.ts'
export {
  type AwsConfig,
  type AwsCredentialsConfig,
  awsFields,
  credentialFields,
  noCredentials,
} from './fields.ts'
