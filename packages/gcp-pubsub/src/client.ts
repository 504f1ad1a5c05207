// The Pub/Sub client both components share the setup of: a project, an optional endpoint, and the
// emulator when PUBSUB_EMULATOR_HOST is set (the client library reads that variable itself when no
// endpoint is given, and then talks plain gRPC without credentials).
import { field } from '@bento-ts/core'
import type { ClientConfig } from '@google-cloud/pubsub'

export interface ClientFields {
  project: string
  endpoint: string
}

export function clientConfig(c: ClientFields): ClientConfig {
  const config: ClientConfig = { projectId: c.project }
  const endpoint = c.endpoint.trim()
  if (endpoint !== '') config.apiEndpoint = endpoint
  return config
}

/** gRPC status codes the components look at (google.rpc.Code). */
export const grpcCode = {
  deadlineExceeded: 4,
  notFound: 5,
  alreadyExists: 6,
} as const

export const codeOf = (err: unknown): number | undefined => {
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'number' ? code : undefined
}

/** `projects/<p>/<kind>/<id>`, or the name itself when it is already a full path. */
export function resourcePath(project: string, kind: 'topics' | 'subscriptions', name: string): string {
  return name.includes('/') ? name : `projects/${project}/${kind}/${name}`
}

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err))

export const endpointField = field.string('endpoint', {
  default: '',
  description:
    'Overrides the default `pubsub.googleapis.com:443`, e.g. with a regional endpoint. When empty and ' +
    '`PUBSUB_EMULATOR_HOST` is set, the emulator at that address is used.',
  examples: ['us-central1-pubsub.googleapis.com:443', 'us-west3-pubsub.googleapis.com:443'],
})

/** Bento's tracing mappings: accepted so Bento configs load; bento-ts has no tracer to feed. */
export const tracingField = (name: string, description: string) =>
  field.bloblang(name, {
    optional: true,
    advanced: true,
    description: `${description} (no effect: bento-ts has no tracer).`,
  })
