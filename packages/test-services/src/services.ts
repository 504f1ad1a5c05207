import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { repoRoot, serviceDir } from './paths.ts'
import { mustRun, run, startDetached, which } from './process.ts'
import { ensureTool } from './tools.ts'

export interface Service {
  name: string
  /** every port it listens on, all on 127.0.0.1 */
  ports: number[]
  /** what tests read from the env file once it is up */
  env: Record<string, string>
  /** installs what is missing; a no-op when everything is there */
  install(): Promise<void>
  /** spawns the server (detached) and returns its pid */
  start(): Promise<number>
  /** true once the server answers a real request */
  probe(): Promise<boolean>
  startupDeadlineMs: number
}

const host = '127.0.0.1'

// Non-default ports, so nothing collides with a server that happens to run on the usual one.
export const ports = {
  kafka: 19092,
  kafkaController: 19093,
  moto: 15000,
  pubsub: 18085,
  nats: 14222,
  natsMonitor: 18222,
  redis: 16379,
} as const

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
  await res.arrayBuffer()
  return res.status < 500
}

/** Sends one line over TCP and resolves with the first chunk of the answer. */
export function tcpExchange(port: number, line: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host, port })
    socket.setTimeout(2000, () => socket.destroy(new Error('timed out')))
    socket.once('error', reject)
    socket.once('connect', () => socket.write(line))
    socket.once('data', (data) => {
      socket.end()
      resolvePromise(data.toString())
    })
  })
}

export async function aptInstall(what: string, pkg: string): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${what}: not installed; run \`sudo apt-get install ${pkg}\` (the script installs it only as root)`,
    )
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const args = ['install', '-y', '--no-install-recommends', pkg]
  // The package lists may be missing or stale on a fresh machine: refresh them once and retry.
  if ((await run('apt-get', args, { env })).code !== 0) {
    await mustRun(`${what}: apt-get update`, 'apt-get', ['update'], { env })
    await mustRun(`${what}: apt-get install ${pkg}`, 'apt-get', args, { env })
  }
}

const kafkaDir = serviceDir('kafka')
const kafkaLibs = join(kafkaDir, 'libs')
const kafkaProps = join(kafkaDir, 'server.properties')
const kafkaClasspath = `${kafkaLibs}/*`

const kafka: Service = {
  name: 'kafka',
  ports: [ports.kafka, ports.kafkaController],
  env: { KAFKA_BROKERS: `${host}:${ports.kafka}` },
  startupDeadlineMs: 90_000,
  async install() {
    for (const tool of ['java', 'mvn']) {
      if ((await which(tool)) === undefined)
        throw new Error(`kafka: \`${tool}\` is not on PATH (Java 17 and Maven are needed)`)
    }
    if (existsSync(kafkaLibs) && readdirSync(kafkaLibs).some((f) => f.startsWith('kafka_2.13-'))) return
    await mustRun('kafka: fetching the broker jars from Maven Central', 'mvn', [
      '-q',
      '-B',
      '-f',
      join(repoRoot, 'packages/test-services/kafka/pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${kafkaLibs}`,
    ])
  },
  async start() {
    const dataDir = join(kafkaDir, 'data')
    writeFileSync(
      kafkaProps,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@${host}:${ports.kafkaController}`,
        `listeners=PLAINTEXT://${host}:${ports.kafka},CONTROLLER://${host}:${ports.kafkaController}`,
        `advertised.listeners=PLAINTEXT://${host}:${ports.kafka}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        `log.dirs=${dataDir}`,
        'num.partitions=1',
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=4',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=true',
        '',
      ].join('\n'),
    )
    writeFileSync(
      join(kafkaDir, 'log4j2.properties'),
      [
        'rootLogger.level=WARN',
        'rootLogger.appenderRef.out.ref=out',
        'appender.out.type=Console',
        'appender.out.name=out',
        'appender.out.layout.type=PatternLayout',
        'appender.out.layout.pattern=[%d] %p %m (%c)%n',
        'logger.kafka.name=kafka.server.KafkaRaftServer',
        'logger.kafka.level=INFO',
        '',
      ].join('\n'),
    )
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      // A KRaft cluster id is 16 random bytes in URL-safe base64 without padding.
      const clusterId = randomBytes(16).toString('base64url')
      await mustRun('kafka: formatting the storage', 'java', [
        '-cp',
        kafkaClasspath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        kafkaProps,
        '--ignore-formatted',
      ])
    }
    return startDetached('kafka', 'java', [
      '-Xms256m',
      '-Xmx768m',
      '-XX:+UseG1GC',
      `-Dlog4j2.configurationFile=${join(kafkaDir, 'log4j2.properties')}`,
      '-cp',
      kafkaClasspath,
      'kafka.Kafka',
      kafkaProps,
    ])
  },
  async probe() {
    const { Kafka, logLevel } = await import('kafkajs')
    const admin = new Kafka({
      brokers: [`${host}:${ports.kafka}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin()
    try {
      await admin.connect()
      await admin.listTopics()
      return true
    } finally {
      await admin.disconnect()
    }
  },
}

const moto: Service = {
  name: 'moto',
  ports: [ports.moto],
  env: {
    AWS_ENDPOINT_URL: `http://${host}:${ports.moto}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  },
  startupDeadlineMs: 30_000,
  async install() {
    if ((await which('moto_server')) !== undefined) return
    await mustRun('moto: pip install', 'python3', ['-m', 'pip', 'install', '--quiet', 'moto[server]==5.2.1'])
  },
  async start() {
    return startDetached('moto', 'moto_server', ['-H', host, '-p', String(ports.moto)])
  },
  probe: () => httpOk(`http://${host}:${ports.moto}/moto-api/`),
}

const pubsubLauncher = '/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator'
const pubsub: Service = {
  name: 'pubsub',
  ports: [ports.pubsub],
  env: {
    PUBSUB_EMULATOR_HOST: `${host}:${ports.pubsub}`,
    PUBSUB_PROJECT_ID: 'bento-ts-test',
    // Google's clients otherwise look for the GCE metadata server, an address off this machine.
    METADATA_SERVER_DETECTION: 'none',
  },
  startupDeadlineMs: 60_000,
  async install() {
    if (existsSync(pubsubLauncher)) return
    const fromPackage = await run('sh', [
      '-c',
      'dpkg -L google-cloud-cli-pubsub-emulator | grep bin/cloud-pubsub-emulator$',
    ])
    if (fromPackage.code !== 0) {
      throw new Error(
        'pubsub: the Debian package google-cloud-cli-pubsub-emulator is not installed (its apt source is not reachable here)',
      )
    }
  },
  async start() {
    const home = join(serviceDir('pubsub'), 'home')
    mkdirSync(home, { recursive: true })
    // It writes its settings under $HOME; keep them in our state folder.
    return startDetached('pubsub', pubsubLauncher, [`--host=${host}`, `--port=${ports.pubsub}`], {
      env: { ...process.env, HOME: home, JAVA_OPTS: '-Xmx256m' },
    })
  },
  probe: () => httpOk(`http://${host}:${ports.pubsub}/`),
}

const nats: Service = {
  name: 'nats',
  ports: [ports.nats, ports.natsMonitor],
  env: { NATS_URL: `nats://${host}:${ports.nats}` },
  startupDeadlineMs: 30_000,
  async install() {
    await ensureTool('nats-server')
  },
  async start() {
    const server = await ensureTool('nats-server')
    const store = join(serviceDir('nats'), 'jetstream')
    mkdirSync(store, { recursive: true })
    return startDetached('nats', server, [
      '-a',
      host,
      '-p',
      String(ports.nats),
      '-m',
      String(ports.natsMonitor),
      '-js',
      '-sd',
      store,
    ])
  },
  probe: async () => {
    const res = await fetch(`http://${host}:${ports.natsMonitor}/healthz?js-enabled-only=true`, {
      signal: AbortSignal.timeout(2000),
    })
    await res.arrayBuffer()
    return res.ok
  },
}

const redis: Service = {
  name: 'redis',
  ports: [ports.redis],
  env: { REDIS_URL: `redis://${host}:${ports.redis}` },
  startupDeadlineMs: 20_000,
  async install() {
    if ((await which('redis-server')) === undefined) await aptInstall('redis', 'redis-server')
  },
  async start() {
    return startDetached('redis', 'redis-server', [
      '--bind',
      host,
      '--port',
      String(ports.redis),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      serviceDir('redis'),
    ])
  },
  probe: async () => (await tcpExchange(ports.redis, 'PING\r\n')).startsWith('+PONG'),
}

export const services: Service[] = [kafka, moto, pubsub, nats, redis]
export const serviceNames = services.map((s) => s.name)
