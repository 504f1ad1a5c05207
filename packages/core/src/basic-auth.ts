// Bento's `basic_auth` block of the service-wide http server: every endpoint asks for a user name
// and a password whose hash (base64) the config holds, as md5, sha256, bcrypt or scrypt
// (N 32768, r 8, p 1, 32 bytes, with a base64 salt), the parameters Bento checks with.
import { createHash, scryptSync, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { FieldError } from './component.ts'
import { field, type ValueOf } from './spec.ts'

export const basicAuthField = field.object(
  'basic_auth',
  [
    field.bool('enabled', { default: false, description: 'Enable basic authentication' }),
    field.string('realm', { default: 'restricted', description: 'Custom realm name' }),
    field.string('username', { default: '', description: 'Username required to authenticate.' }),
    field.string('password_hash', {
      default: '',
      secret: true,
      description: 'Hashed password required to authenticate. (base64 encoded)',
    }),
    field.string('algorithm', {
      default: 'sha256',
      options: ['md5', 'sha256', 'bcrypt', 'scrypt'],
      description: 'Encryption algorithm used to generate `password_hash`.',
    }),
    field.string('salt', { default: '', description: 'Salt for scrypt algorithm. (base64 encoded)' }),
  ],
  {
    default: {
      enabled: false,
      realm: 'restricted',
      username: '',
      password_hash: '',
      algorithm: 'sha256',
      salt: '',
    },
    advanced: true,
    description: 'Allows you to enforce and customise basic authentication for requests to the HTTP server.',
  },
)

export type BasicAuthConfig = ValueOf<typeof basicAuthField>

// `require('<literal>')` on first use: the executable's bundler includes bcryptjs and still
// evaluates it only when a config asks for bcrypt (see apps/plugin/scripts/build-exe.ts).
const require = createRequire(import.meta.url)

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b)

/**
 * The basic-auth step of a request: false when it answered (401), true when the request goes on.
 * Undefined when basic auth is off. Throws a FieldError for a config Bento refuses at start.
 */
export function basicAuthStep(
  c: BasicAuthConfig,
): ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined {
  if (!c.enabled) return undefined
  if (c.username === '' || c.password_hash === '')
    throw new FieldError('basic_auth', 'both username and password_hash are required')
  if (c.algorithm === 'scrypt' && c.salt === '')
    throw new FieldError('basic_auth.salt', 'salt is required for scrypt')
  if (c.algorithm === 'scrypt' && !base64.test(c.salt))
    throw new FieldError('basic_auth.salt', 'invalid salt : illegal base64 data')
  const expected = Buffer.from(c.password_hash, 'base64')
  const matches = passwordCheck(c, expected)
  const user = Buffer.from(c.username)
  return (req, res) => {
    const [scheme, token] = (req.headers.authorization ?? '').split(' ')
    let name = ''
    let password = ''
    if (scheme?.toLowerCase() === 'basic' && token !== undefined) {
      const text = Buffer.from(token, 'base64').toString('utf8')
      const colon = text.indexOf(':')
      if (colon >= 0) {
        name = text.slice(0, colon)
        password = text.slice(colon + 1)
      }
    }
    if (equal(Buffer.from(name), user) && matches(Buffer.from(password))) return true
    res
      .writeHead(401, {
        'content-type': 'text/plain; charset=utf-8',
        'www-authenticate': `Basic realm=${JSON.stringify(c.realm)}, charset="UTF-8"`,
      })
      .end('Unauthorized\n')
    return false
  }
}

function passwordCheck(c: BasicAuthConfig, expected: Buffer): (password: Buffer) => boolean {
  switch (c.algorithm) {
    case 'md5':
      return (p) => equal(createHash('md5').update(p).digest(), expected)
    case 'sha256':
      return (p) => equal(createHash('sha256').update(p).digest(), expected)
    case 'scrypt': {
      const salt = Buffer.from(c.salt, 'base64')
      return (p) =>
        equal(scryptSync(p, salt, 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }), expected)
    }
    case 'bcrypt': {
      const bcrypt = require('bcryptjs') as {
        compareSync(password: string, hash: string): boolean
      }
      const hash = expected.toString('utf8')
      return (p) => bcrypt.compareSync(p.toString('utf8'), hash)
    }
    default:
      throw new FieldError(
        'basic_auth.algorithm',
        'algorithm should be one of md5, sha256, bcrypt, or scrypt',
      )
  }
}
