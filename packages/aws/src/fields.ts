// Bento's `region`, `endpoint` and `credentials` fields, which every AWS component declares
// (Bento's config.SessionFields), with Bento's names and defaults.
import { type ConfigOf, field } from '@bento-ts/core'

export const credentialFields = [
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
] as const

/** The `credentials` of a config that sets none (the SDK's default chain), to spread over in code. */
export const noCredentials = {
  profile: '',
  id: '',
  secret: '',
  token: '',
  from_ec2_role: false,
  role: '',
  role_external_id: '',
  expiry_window: '',
} as const

/** Bento's `region`, `endpoint` and `credentials` fields of every AWS component. */
export const awsFields = [
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
    default: noCredentials,
    description:
      'How to authenticate. Nothing set: the SDK default chain (environment variables, shared files, container or instance roles). In order: `profile`, else static `id`/`secret`/`token`; `role` is then assumed with those; `from_ec2_role` overrides all of them.',
  }),
] as const

/** The AWS settings of a parsed component config. */
export type AwsConfig = ConfigOf<typeof awsFields>
export type AwsCredentialsConfig = AwsConfig['credentials']
