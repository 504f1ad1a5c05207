// Authentication of http_client requests, Bento's blocks: `oauth` (OAuth 1.0a, HMAC-SHA1),
// `oauth2` (client credentials, token cached until shortly before it expires), `basic_auth` and
// `jwt` (a bearer token signed with a private key, via jose). `digest_auth` and `negotiate` are
// declared so Bento configs parse, and refused when enabled.

import { createHmac, createPrivateKey, type KeyObject, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type ConfigOf, FieldError, field } from '@bento-ts/core'
import { SignJWT } from 'jose'
import { type Dispatcher, request } from 'undici'

const enabled = field.bool('enabled', { default: false, description: 'Whether to use this authentication.' })

export const authFields = [
  field.object(
    'oauth',
    [
      enabled,
      field.string('consumer_key', { default: '', description: 'A value used to identify the client.' }),
      field.string('consumer_secret', {
        default: '',
        secret: true,
        description: 'A secret used to sign requests.',
      }),
      field.string('access_token', { default: '', description: 'A value used to gain access.' }),
      field.string('access_token_secret', {
        default: '',
        secret: true,
        description: 'A secret provided by the service to sign requests with.',
      }),
    ],
    {
      default: {
        enabled: false,
        consumer_key: '',
        consumer_secret: '',
        access_token: '',
        access_token_secret: '',
      },
      advanced: true,
      description: 'Allows you to specify open authentication via OAuth version 1.',
    },
  ),
  field.object(
    'oauth2',
    [
      enabled,
      field.string('client_key', { default: '', description: 'A value used to identify the client.' }),
      field.string('client_secret', {
        default: '',
        secret: true,
        description: 'A secret used to identify the client.',
      }),
      field.string('token_url', { default: '', description: 'The URL of the token provider.' }),
      field.array('scopes', 'string', { default: [], description: 'A list of requested permissions.' }),
      field.map('endpoint_params', 'any', {
        default: {},
        description: 'A list of optional endpoint parameters, values should be arrays of strings.',
      }),
    ],
    {
      default: {
        enabled: false,
        client_key: '',
        client_secret: '',
        token_url: '',
        scopes: [],
        endpoint_params: {},
      },
      advanced: true,
      description:
        'Allows you to specify open authentication via OAuth version 2 using the client credentials token flow.',
    },
  ),
  field.object(
    'basic_auth',
    [
      enabled,
      field.string('username', { default: '', description: 'A username to authenticate as.' }),
      field.string('password', {
        default: '',
        secret: true,
        description: 'A password to authenticate with.',
      }),
    ],
    {
      default: { enabled: false, username: '', password: '' },
      advanced: true,
      description: 'Allows you to specify basic authentication.',
    },
  ),
  field.object(
    'jwt',
    [
      enabled,
      field.string('private_key_file', {
        default: '',
        description: 'A file with the PEM encoded via PKCS1 or PKCS8 as private key.',
      }),
      field.string('signing_method', {
        default: '',
        description: 'A method used to sign the token such as RS256, RS384, RS512 or EdDSA.',
      }),
      field.map('claims', 'any', {
        default: {},
        description: 'A value used to identify the claims that issued the JWT.',
      }),
      field.map('headers', 'any', { default: {}, description: 'Add optional key/value headers to the JWT.' }),
    ],
    {
      default: { enabled: false, private_key_file: '', signing_method: '', claims: {}, headers: {} },
      advanced: true,
      description: 'Allows you to specify JWT authentication.',
    },
  ),
  field.object(
    'digest_auth',
    [
      enabled,
      field.string('username', { default: '', description: 'A username to authenticate as.' }),
      field.string('password', {
        default: '',
        secret: true,
        description: 'A password to authenticate with.',
      }),
    ],
    {
      default: { enabled: false, username: '', password: '' },
      advanced: true,
      description: 'Digest authentication: not supported by bento-ts (refused when enabled).',
    },
  ),
  field.object(
    'negotiate',
    [
      enabled,
      field.any('user', { optional: true }),
      field.any('kerberos', { optional: true }),
      field.string('api', { default: 'pure' }),
      field.bool('user_only_for_fallback', { default: false }),
    ],
    {
      default: { enabled: false, api: 'pure', user_only_for_fallback: false },
      advanced: true,
      description: 'SPNEGO (Kerberos) authentication: not supported by bento-ts (refused when enabled).',
    },
  ),
] as const

export type AuthConfig = ConfigOf<typeof authFields>

/** Request headers as an ordered list of pairs (a header may repeat, as with Go's Header.Add). */
export class HeaderList {
  readonly pairs: [string, string][] = []

  add(name: string, value: string): void {
    this.pairs.push([name, value])
  }

  /** Replaces every value of the header (case-insensitive), like Go's Header.Set. */
  set(name: string, value: string): void {
    this.delete(name)
    this.pairs.push([name, value])
  }

  delete(name: string): void {
    const lower = name.toLowerCase()
    for (let i = this.pairs.length - 1; i >= 0; i--)
      if (this.pairs[i]![0].toLowerCase() === lower) this.pairs.splice(i, 1)
  }

  get(name: string): string | undefined {
    const lower = name.toLowerCase()
    return this.pairs.find(([k]) => k.toLowerCase() === lower)?.[1]
  }

  /** The flat form undici takes: [name, value, name, value, …]. */
  flat(): string[] {
    return this.pairs.flat()
  }
}

export interface OutgoingRequest {
  method: string
  url: URL
  headers: HeaderList
}

/** Adds the configured authentication to a request about to be sent. */
export type Signer = (req: OutgoingRequest) => Promise<void>

/** RFC 3986 percent-encoding, as OAuth 1.0 signatures require. */
export const percentEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)

/**
 * The OAuth 1.0a HMAC-SHA1 signature of a request (RFC 5849 §3.4): `params` are the oauth_*
 * parameters plus the query (and form body) parameters.
 */
export function oauth1Signature(
  method: string,
  url: URL,
  params: [string, string][],
  consumerSecret: string,
  tokenSecret: string,
): string {
  const encoded = params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
  // WHATWG URLs already lower-case the scheme and host and drop a default port, as §3.4.1.2 asks.
  const baseUrl = `${url.protocol}//${url.host}${url.pathname}`
  const text = `${method.toUpperCase()}&${percentEncode(baseUrl)}&${percentEncode(encoded)}`
  return createHmac('sha1', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`)
    .update(text)
    .digest('base64')
}

function oauth1Signer(c: AuthConfig['oauth']): Signer {
  return async (req) => {
    const nonce = randomBytes(16).toString('hex')
    const timestamp = String(Math.floor(Date.now() / 1000))
    const oauth: [string, string][] = [
      ['oauth_consumer_key', c.consumer_key],
      ['oauth_nonce', nonce],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', timestamp],
      ['oauth_token', c.access_token],
      ['oauth_version', '1.0'],
    ]
    const signature = oauth1Signature(
      req.method,
      req.url,
      [...oauth, ...req.url.searchParams],
      c.consumer_secret,
      c.access_token_secret,
    )
    const fields = [...oauth, ['oauth_signature', signature]].sort(([a], [b]) => (a! < b! ? -1 : 1))
    req.headers.add(
      'Authorization',
      `OAuth ${fields.map(([k, v]) => `${k}="${percentEncode(v!)}"`).join(', ')}`,
    )
  }
}

/** Go's url.QueryEscape, used for the client id and secret of OAuth 2 basic authentication. */
const queryEscape = (s: string): string => new URLSearchParams([['', s]]).toString().slice(1)

interface Token {
  value: string
  type: string
  /** ms since the epoch; Infinity when the provider gave no expiry */
  expiresAt: number
}

/** Tokens are renewed this long before they expire (golang.org/x/oauth2's expiryDelta). */
const expiryMarginMs = 10_000

function oauth2Signer(c: AuthConfig['oauth2'], dispatcher: Dispatcher): Signer {
  if (c.token_url === '') throw new FieldError('oauth2.token_url', 'must be set when oauth2 is enabled')
  let token: Token | undefined
  let fetching: Promise<Token> | undefined
  // golang.org/x/oauth2 auto-detects how the provider wants the client credentials: in a basic
  // authorization header first, in the form body when that fails; the style that worked is kept.
  let style: 'header' | 'params' | undefined

  const fetchToken = async (as: 'header' | 'params'): Promise<Token> => {
    const form = new URLSearchParams({ grant_type: 'client_credentials' })
    if (c.scopes.length > 0) form.set('scope', c.scopes.join(' '))
    for (const [k, values] of Object.entries(c.endpoint_params)) {
      for (const v of Array.isArray(values) ? values : [values]) form.append(k, String(v))
    }
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
    if (as === 'header') {
      const pair = `${queryEscape(c.client_key)}:${queryEscape(c.client_secret)}`
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`
    } else {
      form.set('client_id', c.client_key)
      if (c.client_secret !== '') form.set('client_secret', c.client_secret)
    }
    const res = await request(c.token_url, { method: 'POST', headers, body: form.toString(), dispatcher })
    const text = await res.body.text()
    if (res.statusCode < 200 || res.statusCode > 299)
      throw new Error(`oauth2: cannot fetch token: ${res.statusCode}\nResponse: ${text}`)
    const type = String(res.headers['content-type'] ?? '')
    let fields: Record<string, unknown>
    if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('text/plain'))
      fields = Object.fromEntries(new URLSearchParams(text))
    else fields = JSON.parse(text) as Record<string, unknown>
    const value = fields.access_token
    if (typeof value !== 'string' || value === '')
      throw new Error('oauth2: server response missing access_token')
    const expiresIn = Number(fields.expires_in ?? 0)
    const tokenType = String(fields.token_type ?? 'Bearer')
    return {
      value,
      // Go's Token.Type(): the common spellings of bearer are normalised.
      type: tokenType.toLowerCase() === 'bearer' || tokenType === '' ? 'Bearer' : tokenType,
      expiresAt: expiresIn > 0 ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY,
    }
  }

  const current = async (): Promise<Token> => {
    if (token !== undefined && token.expiresAt - expiryMarginMs > Date.now()) return token
    fetching ??= (async () => {
      try {
        if (style !== undefined) return await fetchToken(style)
        try {
          const t = await fetchToken('header')
          style = 'header'
          return t
        } catch (headerErr) {
          try {
            const t = await fetchToken('params')
            style = 'params'
            return t
          } catch {
            throw headerErr
          }
        }
      } finally {
        fetching = undefined
      }
    })()
    token = await fetching
    return token
  }

  return async (req) => {
    const t = await current()
    req.headers.set('Authorization', `${t.type} ${t.value}`)
  }
}

const jwtAlgorithms = ['RS256', 'RS384', 'RS512', 'EdDSA']

function jwtSigner(c: AuthConfig['jwt']): Signer {
  if (!jwtAlgorithms.includes(c.signing_method))
    throw new FieldError(
      'jwt.signing_method',
      `jwt signing method ${c.signing_method} not accepted. Try with RS256, RS384, RS512 or EdDSA`,
    )
  let key: KeyObject
  try {
    key = createPrivateKey(readFileSync(c.private_key_file, 'utf8'))
  } catch (err) {
    throw new FieldError(
      'jwt.private_key_file',
      `cannot read a private key from ${JSON.stringify(c.private_key_file)}: ${(err as Error).message}`,
    )
  }
  // The claims never change and these algorithms sign deterministically: one token serves every request.
  let token: Promise<string> | undefined
  return async (req) => {
    token ??= new SignJWT(c.claims)
      .setProtectedHeader({ typ: 'JWT', ...c.headers, alg: c.signing_method })
      .sign(key)
    req.headers.set('Authorization', `Bearer ${await token}`)
  }
}

/** The signers a config enables, applied in Bento's order; throws on an unusable config. */
export function authSigner(c: AuthConfig, dispatcher: Dispatcher): Signer | undefined {
  if (c.digest_auth.enabled)
    throw new FieldError('digest_auth', 'digest authentication is not supported by bento-ts')
  if (c.negotiate.enabled)
    throw new FieldError('negotiate', 'SPNEGO authentication is not supported by bento-ts')
  const signers: Signer[] = []
  if (c.oauth.enabled) signers.push(oauth1Signer(c.oauth))
  if (c.basic_auth.enabled) {
    const value = `Basic ${Buffer.from(`${c.basic_auth.username}:${c.basic_auth.password}`).toString('base64')}`
    signers.push(async (req) => req.headers.set('Authorization', value))
  }
  if (c.jwt.enabled) signers.push(jwtSigner(c.jwt))
  if (c.oauth2.enabled) signers.push(oauth2Signer(c.oauth2, dispatcher))
  if (signers.length === 0) return undefined
  return async (req) => {
    for (const sign of signers) await sign(req)
  }
}
