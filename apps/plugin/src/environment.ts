// Every component the prebuilt plugin and its CLI offer: Bento's standard set plus each connector
// package. A program that wants fewer installs the packages it needs and registers only those.
import { register as registerAwsS3 } from '@bento-ts/aws-s3'
import { register as registerAwsSqs } from '@bento-ts/aws-sqs'
import { type Environment, standardEnvironment } from '@bento-ts/core'
import { register as registerGcpPubsub } from '@bento-ts/gcp-pubsub'
import { register as registerHttp } from '@bento-ts/http'
import { register as registerKafka } from '@bento-ts/kafka'
import { register as registerNats } from '@bento-ts/nats'
import { register as registerRedis } from '@bento-ts/redis'

export function pluginEnvironment(): Environment {
  const env = standardEnvironment()
  registerAwsS3(env)
  registerAwsSqs(env)
  registerGcpPubsub(env)
  registerHttp(env)
  registerKafka(env)
  registerNats(env)
  registerRedis(env)
  return env
}
