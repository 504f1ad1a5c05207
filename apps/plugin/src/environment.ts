// Every component the prebuilt plugin and its CLI offer: Bento's standard set plus each connector
// package. A program that wants fewer installs the packages it needs and registers only those.
//
// Each connector package is registered from its catalog (names and specs as data), and its code
// (with its SDK, most of the weight) is imported the first time a config builds one of its
// components: `list`, `lint`, the schema and `--help` import none, and a stream that uses Redis
// loads only @bento-ts/redis. The single executable keeps this: scripts/build-exe.ts makes each
// `import('@bento-ts/<pkg>')` below load that package's own bundled asset.
import { catalog as awsS3 } from '@bento-ts/aws-s3/catalog'
import { catalog as awsSqs } from '@bento-ts/aws-sqs/catalog'
import { type Environment, standardEnvironment } from '@bento-ts/core'
import { addLazyPackage, type Catalog, type ComponentPackage } from '@bento-ts/core/kit'
import { catalog as gcpPubsub } from '@bento-ts/gcp-pubsub/catalog'
import { catalog as http } from '@bento-ts/http/catalog'
import { catalog as kafka } from '@bento-ts/kafka/catalog'
import { catalog as nats } from '@bento-ts/nats/catalog'
import { catalog as redis } from '@bento-ts/redis/catalog'

export interface ConnectorPackage {
  catalog: Catalog
  load: () => Promise<ComponentPackage>
}

/** The connector packages, each with its catalog and the import of its code. */
export const connectorPackages: readonly ConnectorPackage[] = [
  { catalog: awsS3, load: () => import('@bento-ts/aws-s3') },
  { catalog: awsSqs, load: () => import('@bento-ts/aws-sqs') },
  { catalog: gcpPubsub, load: () => import('@bento-ts/gcp-pubsub') },
  { catalog: http, load: () => import('@bento-ts/http') },
  { catalog: kafka, load: () => import('@bento-ts/kafka') },
  { catalog: nats, load: () => import('@bento-ts/nats') },
  { catalog: redis, load: () => import('@bento-ts/redis') },
]

export function pluginEnvironment(): Environment {
  const env = standardEnvironment()
  for (const pkg of connectorPackages) addLazyPackage(env, pkg.catalog, pkg.load)
  return env
}
