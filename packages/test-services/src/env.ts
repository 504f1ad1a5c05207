import { existsSync, readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import { envFile } from './paths.ts'
import { logFile } from './process.ts'

export type ServiceName = 'kafka' | 'moto' | 'pubsub' | 'nats' | 'redis'

/** The endpoints `pnpm services:up` exported, as written to .services/services.env. */
export function readServicesEnv(): Record<string, string> {
  if (!existsSync(envFile)) return {}
  return parseEnv(readFileSync(envFile, 'utf8')) as Record<string, string>
}

const markerKey: Record<ServiceName, string> = {
  kafka: 'KAFKA_BROKERS',
  moto: 'AWS_ENDPOINT_URL',
  pubsub: 'PUBSUB_EMULATOR_HOST',
  nats: 'NATS_URL',
  redis: 'REDIS_URL',
}

/**
 * The endpoints of one service for an integration test. A missing service is an error, never a
 * skip: a test that did not run must not look like one that passed.
 */
export function requireService(name: ServiceName): Record<string, string> {
  const env = readServicesEnv()
  if (env[markerKey[name]] === undefined) {
    throw new Error(
      `${name} is not running: start the test services with \`pnpm services:up\` ` +
        `(env file ${envFile}; server log ${logFile(name)})`,
    )
  }
  return env
}

/** moto's endpoint, region and static credentials, for the AWS connectors' tests and SDK clients. */
export function motoSettings(): { endpoint: string; region: string; id: string; secret: string } {
  const env = requireService('moto')
  return {
    endpoint: env.AWS_ENDPOINT_URL!,
    region: env.AWS_REGION!,
    id: env.AWS_ACCESS_KEY_ID!,
    secret: env.AWS_SECRET_ACCESS_KEY!,
  }
}
