// The connection every NATS component opens: Bento's `urls`, `tls` and `auth` fields, turned into
// nats.js options, and a small wrapper that tracks whether the link is up. The client reconnects
// by itself (forever); components ask the wrapper whether to wait, and the runtime's own reconnect
// only comes into play once a connection is closed for good.

import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { FieldError, field, type Logger, NotConnected, type ValueOf } from '@bento-ts/core'
import { abortable, type TlsConfig, tlsField, tlsOptions } from '@bento-ts/core/kit'
import {
  type Authenticator,
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  jwtAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
} from 'nats'
import { Outbox } from './outbox.ts'

export const urlsField = field.array('urls', 'string', {
  description:
    'A list of URLs to connect to. If an item of the list contains commas it will be expanded into multiple URLs.',
  examples: [['nats://127.0.0.1:4222'], ['nats://username:password@127.0.0.1:4222']],
})

export const authField = field.object(
  'auth',
  [
    field.string('nkey_file', {
      optional: true,
      description: 'An optional file containing a NKey seed.',
      examples: ['./seed.nk'],
    }),
    field.string('user_credentials_file', {
      optional: true,
      description:
        'An optional file containing user credentials which consist of an user JWT and corresponding NKey seed.',
      examples: ['./user.creds'],
    }),
    field.string('user_jwt', {
      optional: true,
      secret: true,
      description: 'An optional plain text user JWT (given along with the corresponding user NKey Seed).',
    }),
    field.string('user_nkey_seed', {
      optional: true,
      secret: true,
      description: 'An optional plain text user NKey Seed (given along with the corresponding user JWT).',
    }),
  ],
  {
    optional: true,
    advanced: true,
    description: 'Optional configuration of NATS authentication parameters.',
  },
)

/** `tls` and `auth`, which Bento lists after each component's own fields. */
export const connectionTailFields = [tlsField, authField] as const

export type AuthConfig = ValueOf<typeof authField>

/** The connection fields every NATS component has. */
export interface ConnectionConfig {
  urls: ValueOf<typeof urlsField>
  tls: TlsConfig
  auth?: AuthConfig
}

/** Expands Go-style `~` and `$VAR` in a path, as Bento does for credential files. */
export function expandPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const expanded = path.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
    return env[(a ?? b)!] ?? ''
  })
  if (!expanded.startsWith('~')) return expanded
  return join(env.HOME ?? homedir(), expanded.slice(1))
}

function readFile(component: string, fieldName: string, path: string): Uint8Array {
  try {
    return readFileSync(expandPath(path))
  } catch (err) {
    throw new Error(`${component}: auth.${fieldName}: cannot read ${path}: ${(err as Error).message}`)
  }
}

const seedPattern = /\bS[UAONCXP][A-Z2-7]{50,}\b/

/** The NKey seed in a seed file: the bare seed, or the seed block of a decorated file. */
export function seedFromFile(contents: string): string {
  return contents.match(seedPattern)?.[0] ?? contents.trim()
}

const encoder = new TextEncoder()

/** The authenticators the `auth` block asks for (none when it is empty). */
export function authenticators(component: string, auth: AuthConfig | undefined): Authenticator[] {
  if (auth === undefined) return []
  const out: Authenticator[] = []
  if (auth.nkey_file !== undefined && auth.nkey_file !== '') {
    const path = auth.nkey_file
    out.push(
      nkeyAuthenticator(() =>
        encoder.encode(seedFromFile(new TextDecoder().decode(readFile(component, 'nkey_file', path)))),
      ),
    )
  }
  if (auth.user_credentials_file !== undefined && auth.user_credentials_file !== '') {
    const path = auth.user_credentials_file
    // Read on every (re)connect, like Bento: a rotated credentials file is picked up.
    out.push(credsAuthenticator(() => readFile(component, 'user_credentials_file', path)))
  }
  if (auth.user_jwt !== undefined || auth.user_nkey_seed !== undefined) {
    if (auth.user_jwt === undefined)
      throw new FieldError('auth.user_jwt', 'is required when auth.user_nkey_seed is set')
    if (auth.user_nkey_seed === undefined)
      throw new FieldError('auth.user_nkey_seed', 'is required when auth.user_jwt is set')
    out.push(jwtAuthenticator(auth.user_jwt, encoder.encode(auth.user_nkey_seed)))
  }
  return out
}

export interface ServerList {
  servers: string[]
  user?: string
  pass?: string
  token?: string
}

/**
 * Bento's `urls`: items may hold several comma-separated URLs, and a URL may carry credentials
 * (`nats://user:pass@host`, `nats://token@host`), which nats.js takes as options instead.
 */
export function parseUrls(urls: readonly string[]): ServerList {
  const out: ServerList = { servers: [] }
  for (const item of urls) {
    for (const raw of item.split(',')) {
      const url = raw.trim()
      if (url === '') continue
      const at = url.indexOf('@')
      const scheme = url.indexOf('://')
      if (at < 0 || scheme < 0 || at < scheme) {
        out.servers.push(url)
        continue
      }
      const userInfo = url.slice(scheme + 3, at)
      out.servers.push(url.slice(0, scheme + 3) + url.slice(at + 1))
      if (out.user !== undefined || out.token !== undefined) continue
      const colon = userInfo.indexOf(':')
      if (colon < 0) out.token = decodeURIComponent(userInfo)
      else {
        out.user = decodeURIComponent(userInfo.slice(0, colon))
        out.pass = decodeURIComponent(userInfo.slice(colon + 1))
      }
    }
  }
  if (out.servers.length === 0) throw new FieldError('urls', 'at least one URL is required')
  return out
}

/**
 * nats.js options for a component's connection fields; `name` is the component's label. Built
 * when the component is, so a config it cannot use fails at start with the field's path.
 */
export function connectionOptions(component: string, c: ConnectionConfig, name: string): ConnectionOptions {
  const list = parseUrls(c.urls)
  const options: ConnectionOptions = {
    servers: list.servers,
    name,
    // Keep reconnecting: a broker outage must not end the stream, and what is under way
    // (subscriptions, consumers) comes back with the same connection.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    // Stack traces captured for every request cost more than the request itself.
    noAsyncTraces: true,
  }
  if (list.user !== undefined) options.user = list.user
  if (list.pass !== undefined) options.pass = list.pass
  if (list.token !== undefined) options.token = list.token
  // Its errors name the field (`tls.root_cas_file: cannot read …`).
  const tls = tlsOptions(c.tls)
  // nats.js hands these to Node's tls.connect as they are.
  if (tls !== undefined) options.tls = tls as ConnectionOptions['tls']
  const auth = authenticators(component, c.auth)
  if (auth.length > 0) options.authenticator = auth.length === 1 ? auth[0]! : auth
  return options
}

/**
 * A NATS connection and whether it is up right now. Components publish only while it is up, so a
 * broker outage turns into `NotConnected` and back-pressure instead of an unbounded buffer.
 */
export class Link {
  readonly nc: NatsConnection
  /** where the component's publishes and acks go (see outbox.ts) */
  readonly outbox: Outbox
  #up = true
  #closed = false
  #waiters: (() => void)[] = []
  #onDown = new Set<() => void>()
  #onUp = new Set<() => void>()

  constructor(nc: NatsConnection, component: string, logger: Logger) {
    this.nc = nc
    this.outbox = new Outbox(nc)
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') {
          if (!this.#up) continue
          this.#up = false
          logger.warn(`${component}: lost the connection to ${String(status.data)}, reconnecting`)
          for (const cb of [...this.#onDown]) cb()
        } else if (status.type === 'reconnect') {
          this.#up = true
          logger.info(`${component}: reconnected to ${String(status.data)}`)
          this.#wake()
          for (const cb of [...this.#onUp]) cb()
        } else if (status.type === 'error') {
          logger.error(`${component}: nats operation failed: ${String(status.data)}`)
        }
      }
    })().catch(() => {})
    void nc.closed().then((err) => {
      this.#closed = true
      this.#up = false
      if (err) logger.error(`${component}: connection closed: ${err.message}`)
      for (const cb of [...this.#onDown]) cb()
      this.#wake()
    })
  }

  /** true while the connection can carry messages */
  get up(): boolean {
    return this.#up && !this.#closed
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Calls `cb` each time the connection drops (or closes); returns the unsubscribe. */
  onDown(cb: () => void): () => void {
    this.#onDown.add(cb)
    return () => this.#onDown.delete(cb)
  }

  /** Calls `cb` each time the client reconnected; returns the unsubscribe. */
  onUp(cb: () => void): () => void {
    this.#onUp.add(cb)
    return () => this.#onUp.delete(cb)
  }

  /** Resolves once the connection is up; throws NotConnected once it is closed for good. */
  async whenUp(signal: AbortSignal): Promise<void> {
    while (!this.up) {
      if (this.#closed) throw new NotConnected('nats connection closed')
      await abortable(new Promise<void>((resolve) => this.#waiters.push(resolve)), signal)
    }
  }

  #wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve()
  }

  /** Flushes what is buffered (acks, publishes) and closes; never throws. */
  async close(): Promise<void> {
    if (this.#closed) return
    try {
      this.outbox.flush()
      if (this.up) await Promise.race([this.nc.flush(), new Promise((r) => setTimeout(r, 2000).unref())])
    } catch {
      // closing anyway
    }
    await this.nc.close().catch(() => {})
  }
}

/** Opens a connection for a component; the signal abandons the attempt (the runtime retries). */
export async function openLink(
  component: string,
  options: ConnectionOptions,
  logger: Logger,
  signal: AbortSignal,
): Promise<Link> {
  const connecting = connect(options)
  let nc: NatsConnection
  try {
    nc = await abortable(connecting, signal)
  } catch (err) {
    // An attempt that succeeds after we gave up must not linger.
    connecting.then((late) => late.close()).catch(() => {})
    throw err
  }
  return new Link(nc, component, logger)
}

/** Opens a connection and sets it up with `use`; when that fails, the connection is closed again. */
export async function openLinkWith<T>(
  component: string,
  options: ConnectionOptions,
  logger: Logger,
  signal: AbortSignal,
  use: (link: Link) => Promise<T>,
): Promise<T> {
  const link = await openLink(component, options, logger, signal)
  try {
    return await use(link)
  } catch (err) {
    await link.close()
    throw err
  }
}
