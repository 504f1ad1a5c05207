// The connection block every Redis component shares (`url`, `kind`, `master`, `tls`) and the
// clients built from it. Clients never reconnect or queue commands on their own: a broken link
// fails the command at once, the component turns that into NotConnected, and the runtime decides
// when to connect again (with its backoff), as Bento does. Replies use RESP2, whose shapes are
// the same for every command whatever the server version.
import { type ConfigOf, FieldError, field, type Message, NotConnected } from '@bento-ts/core'
import { tlsField, tlsOptions } from '@bento-ts/core/kit'
import { Cluster, Redis, type RedisOptions, ReplyError } from 'ioredis'

export type RedisClient = Redis | Cluster

export const redisClientFields = [
  field.string('url', {
    description:
      'The URL of the target Redis server. Database is optional and is supplied as the URL path. Several comma separated URLs name the nodes of a cluster or the sentinels of a failover setup.',
    examples: [
      'redis://:6397',
      'redis://localhost:6379',
      'redis://foousername:foopassword@redisplace:6379',
      'redis://:foopassword@redisplace:6379',
      'redis://localhost:6379/1',
      'redis://localhost:6379/1,redis://localhost:6380/1',
    ],
  }),
  field.string('kind', {
    default: 'simple',
    options: ['simple', 'cluster', 'failover'],
    advanced: true,
    description: 'Specifies a simple, cluster-aware, or failover-aware redis client.',
  }),
  field.string('master', {
    default: '',
    advanced: true,
    examples: ['mymaster'],
    description: 'Name of the redis master when `kind` is `failover`',
  }),
  tlsField,
] as const

export type RedisConfig = ConfigOf<typeof redisClientFields>

export interface RedisAddress {
  host: string
  port: number
}

export interface ParsedRedisUrl {
  addresses: RedisAddress[]
  db: number
  username: string
  password: string
  /** a `rediss://` URL asks for TLS even without the `tls` block */
  tls: boolean
}

/**
 * Reads Bento's `url`: one or more comma separated `redis://`, `rediss://` or `tcp://` URLs with
 * optional credentials and database (the last URL's credentials and database win, as in Bento).
 */
export function parseRedisUrl(text: string): ParsedRedisUrl {
  const out: ParsedRedisUrl = { addresses: [], db: 0, username: '', password: '', tls: false }
  for (const part of text.split(',')) {
    const raw = part.trim()
    let url: URL
    try {
      // `redis://:6379` (no host) is fine for Go's URL parser, not for WHATWG's.
      url = new URL(raw.replace(/^(\w+):\/\/:(\d+)(?=\/|$)/, '$1://localhost:$2'))
    } catch {
      throw new FieldError('url', `"${raw}" is not a URL (expected redis://host:port/db)`)
    }
    const scheme = url.protocol.replace(/:$/, '')
    if (scheme !== 'redis' && scheme !== 'rediss' && scheme !== 'tcp')
      throw new FieldError(
        'url',
        `unsupported scheme "${scheme}" in "${raw}" (expected redis, rediss or tcp)`,
      )
    if (scheme === 'rediss') out.tls = true
    const host = url.hostname === '' ? 'localhost' : url.hostname.replace(/^\[(.*)\]$/, '$1')
    const port = url.port === '' ? 6379 : Number(url.port)
    out.addresses.push({ host, port })
    out.username = decodeURIComponent(url.username)
    out.password = decodeURIComponent(url.password)
    const path = url.pathname.split('/').filter((s) => s !== '')
    if (path.length > 1) throw new FieldError('url', `invalid path "${url.pathname}" in "${raw}"`)
    if (path.length === 1) {
      const db = Number(path[0])
      if (!Number.isInteger(db) || db < 0)
        throw new FieldError('url', `invalid database number "${path[0]}" in "${raw}"`)
      out.db = db
    } else out.db = 0
  }
  return out
}

export interface ClientOptions {
  /** shows in CLIENT LIST, to tell the connections of a stream apart */
  name?: string
}

/**
 * A factory of unconnected clients for a config, checked once up front so a bad URL or TLS file
 * fails when the component is created rather than at every reconnect.
 */
export function redisClientFactory(c: RedisConfig): (o?: ClientOptions) => RedisClient {
  const parsed = parseRedisUrl(c.url)
  const tls = tlsOptions(c.tls) ?? (parsed.tls ? {} : undefined)
  if (c.kind === 'failover' && c.master === '')
    throw new FieldError('master', 'the name of the master is required when kind is failover')
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    protocol: 2,
    disableClientInfo: true,
    ...(parsed.username === '' ? {} : { username: parsed.username }),
    ...(parsed.password === '' ? {} : { password: parsed.password }),
    ...(tls === undefined ? {} : { tls }),
  }
  return (o = {}) => {
    const named = o.name === undefined ? {} : { connectionName: o.name.replace(/\s/g, '_') }
    let client: RedisClient
    if (c.kind === 'cluster') {
      client = new Cluster(parsed.addresses, {
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: () => null,
        redisOptions: { ...common, ...named },
      })
    } else if (c.kind === 'failover') {
      client = new Redis({
        ...common,
        ...named,
        db: parsed.db,
        sentinels: parsed.addresses,
        name: c.master,
        sentinelRetryStrategy: () => null,
        ...(tls === undefined ? {} : { enableTLSForSentinelMode: true }),
      })
    } else {
      const [address] = parsed.addresses
      client = new Redis({ ...common, ...named, ...address, db: parsed.db })
    }
    // Errors reach the commands under way; without a listener an 'error' event would throw.
    client.on('error', () => {})
    return client
  }
}

/** Connects a client made by the factory and checks the server answers; closes it on failure. */
export async function connectClient(client: RedisClient, signal?: AbortSignal): Promise<void> {
  const onAbort = () => client.disconnect()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await client.connect()
    await client.ping()
  } catch (err) {
    client.disconnect()
    signal?.throwIfAborted()
    throw new NotConnected(`cannot connect to redis: ${(err as Error).message}`)
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/** A server's error answer (wrong type, syntax…) as opposed to a link that broke. */
export const isReplyError = (err: unknown): boolean => err instanceof ReplyError

/**
 * What a failed command means to the runtime: a reply error stays what it is (the batch is
 * nacked); anything else means the link is gone (NotConnected: reconnect, then try again).
 */
export function commandError(err: unknown, what: string): Error {
  if (isReplyError(err)) return new Error(`${what}: ${(err as Error).message}`)
  if (err instanceof NotConnected) return err
  return new NotConnected(`${what}: ${(err as Error).message}`)
}

/** A payload as ioredis sends it: a Buffer over the same memory (a plain Uint8Array would be stringified). */
export const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/**
 * A message's payload for a command: the text when that is what the message holds (a mapping's
 * result; ioredis writes it as UTF-8 straight into the socket buffer, no bytes made first), else
 * its bytes. Both stand for the same payload.
 */
export function payloadOf(message: Message): string | Buffer {
  const content = message.content()
  return typeof content === 'string' ? content : asBuffer(content)
}
