// What every kafka component shares: the broker list, TLS and SASL fields as Bento declares them,
// and turning them into a kafkajs client whose log lines go to our logger.
import type { ConnectionOptions } from 'node:tls'
import type { ComponentContext, ConfigOf, Logger, ValueOf } from '@bento-ts/core'
import { FieldError, field } from '@bento-ts/core'
import { tlsField, tlsOptions } from '@bento-ts/core/kit'
import type { KafkaConfig, logCreator, SASLOptions } from 'kafkajs'
import { registerCodecs } from './codecs.ts'
import kafkajs from './kafkajs.ts'
import { parseAddresses } from './topics.ts'

const { Kafka, logLevel } = kafkajs

export const saslMechanisms = [
  'none',
  'PLAIN',
  'OAUTHBEARER',
  'SCRAM-SHA-256',
  'SCRAM-SHA-512',
  'AWS_MSK_IAM',
] as const

/** Bento's `sasl` object of the kafka components (sarama flavour). */
export const saslField = field.object(
  'sasl',
  [
    field.string('mechanism', {
      default: 'none',
      options: saslMechanisms,
      description: 'The SASL authentication mechanism; `none` disables SASL.',
    }),
    field.string('user', { default: '', description: 'A PLAIN or SCRAM username.', examples: ['${USER}'] }),
    field.string('password', {
      default: '',
      secret: true,
      description: 'A PLAIN or SCRAM password.',
      examples: ['${PASSWORD}'],
    }),
    field.string('access_token', {
      default: '',
      secret: true,
      description: 'A static OAUTHBEARER access token.',
    }),
    field.string('token_cache', {
      default: '',
      description: 'A cache resource to fetch OAUTHBEARER tokens from, instead of a static `access_token`.',
    }),
    field.string('token_key', { default: '', description: 'The key to query `token_cache` with.' }),
    field.object(
      'oauth2',
      [
        field.bool('enabled', { default: false }),
        field.string('client_key', { default: '' }),
        field.string('client_secret', { default: '', secret: true }),
        field.string('token_url', { default: '' }),
        field.array('scopes', 'string', { default: [], advanced: true }),
        field.map('endpoint_params', 'any', { optional: true, advanced: true }),
        field.map('extensions', 'any', { optional: true, advanced: true }),
      ],
      {
        optional: true,
        advanced: true,
        description: 'OAuth 2 client credentials for OAUTHBEARER (accepted, not supported yet).',
      },
    ),
    field.any('aws', {
      optional: true,
      description: 'AWS settings for `AWS_MSK_IAM` (accepted, not supported yet).',
    }),
  ],
  {
    default: { mechanism: 'none', user: '', password: '', access_token: '', token_cache: '', token_key: '' },
    advanced: true,
    description: 'Enables SASL authentication.',
  },
)

export const addressesField = field.array('addresses', 'string', {
  description:
    'A list of broker addresses to connect to. An item holding commas is split into several addresses.',
  examples: [['localhost:9092'], ['localhost:9041,localhost:9042']],
})

export const clientIdField = field.string('client_id', {
  default: 'bento',
  advanced: true,
  description: 'An identifier for the client connection.',
})

export const targetVersionField = field.string('target_version', {
  optional: true,
  description:
    'The Kafka protocol version to use. Accepted for compatibility: the client negotiates versions with the broker.',
  examples: ['2.1.0', '3.1.0'],
})

export const rackIdField = field.string('rack_id', {
  default: '',
  advanced: true,
  description: 'A rack identifier for this client.',
})

export { tlsField }

/** The fields every kafka component has, for the config type of the client helpers. */
const clientFields = [addressesField, clientIdField, tlsField, saslField] as const
export type ClientConfig = ConfigOf<typeof clientFields>
type SaslConfig = ValueOf<typeof saslField>

/**
 * kafkajs SASL options for a `sasl` config; undefined when it is off. Throws a FieldError for
 * what we cannot do. A `token_cache` is looked up when the client is made (at connect), since
 * resources may still be under construction when the component is built.
 */
export function saslOptions(c: SaslConfig | undefined, context?: ComponentContext): SASLOptions | undefined {
  if (c === undefined || c.mechanism === 'none') return undefined
  switch (c.mechanism) {
    case 'PLAIN':
      return { mechanism: 'plain', username: c.user, password: c.password }
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', username: c.user, password: c.password }
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', username: c.user, password: c.password }
    case 'OAUTHBEARER': {
      if (c.oauth2?.enabled === true)
        throw new FieldError('sasl.oauth2', 'the OAuth 2 client credentials flow is not supported yet')
      if (c.token_cache !== '') {
        if (context === undefined) throw new FieldError('sasl.token_cache', 'needs cache resources')
        if (!context.resources.hasCache(c.token_cache))
          throw new FieldError('sasl.token_cache', `cache resource '${c.token_cache}' was not found`)
        const cache = context.resources.cache(c.token_cache)
        const key = c.token_key
        return {
          mechanism: 'oauthbearer',
          oauthBearerProvider: async () => ({ value: Buffer.from(await cache.get(key)).toString() }),
        }
      }
      const token = c.access_token
      return { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token }) }
    }
    case 'AWS_MSK_IAM':
      throw new FieldError('sasl.mechanism', 'AWS_MSK_IAM is not supported yet')
    default:
      throw new FieldError('sasl.mechanism', `unknown mechanism ${String(c.mechanism)}`)
  }
}

/** kafkajs' log lines as our logger's: errors and warnings as such, the rest at debug. */
export function logCreatorFor(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, timestamp: _t, logger: _l, ...fields } = log
      const text = `kafka: ${message}`
      if (level === logLevel.ERROR) logger.error(text, fields)
      else if (level === logLevel.WARN) logger.warn(text, fields)
      else logger.debug(text, fields)
    }
}

export interface ClientOptions {
  logger?: Logger
  /** log kafkajs' own debug lines (Bento's `debug` field) */
  debug?: boolean
  requestTimeoutMs?: number
  retry?: KafkaConfig['retry']
  context?: ComponentContext
}

/** TLS options of the shared fields; a file that cannot be read is a FieldError. */
function tlsOf(c: ClientConfig): ConnectionOptions | undefined {
  try {
    return tlsOptions(c.tls)
  } catch (err) {
    // tlsOptions words its errors `<field path>: <problem>`; the path becomes the FieldError's.
    const message = (err as Error).message
    const at = /^(tls[\w.]*): ([\s\S]*)$/.exec(message)
    throw new FieldError(at?.[1] ?? 'tls', at?.[2] ?? message, { cause: err })
  }
}

/**
 * Checks the shared fields when the component is built, so a bad TLS or SASL setting fails at
 * start rather than at the first connect (the token cache is checked at connect: see saslOptions).
 */
export function checkClientConfig(c: ClientConfig): void {
  tlsOf(c)
  saslOptions(c.sasl.token_cache === '' ? c.sasl : { ...c.sasl, token_cache: '' })
}

/** A kafkajs client for the shared fields. */
export function kafkaClient(c: ClientConfig, o: ClientOptions = {}): InstanceType<typeof Kafka> {
  registerCodecs()
  const ssl = tlsOf(c)
  const sasl = saslOptions(c.sasl, o.context)
  const config: KafkaConfig = {
    brokers: parseAddresses(c.addresses),
    clientId: c.client_id,
    connectionTimeout: 3000,
    requestTimeout: o.requestTimeoutMs ?? 30_000,
    logLevel: o.debug === true ? logLevel.DEBUG : o.logger === undefined ? logLevel.NOTHING : logLevel.WARN,
    retry: o.retry ?? { initialRetryTime: 200, maxRetryTime: 2000, retries: 5 },
  }
  if (o.logger !== undefined) config.logCreator = logCreatorFor(o.logger)
  if (ssl !== undefined) config.ssl = ssl
  if (sasl !== undefined) config.sasl = sasl
  return new Kafka(config)
}

export type KafkaClient = InstanceType<typeof Kafka>
