// parse_jwt_* and sign_jwt_*: JWS compact tokens with HMAC, RSA (PKCS #1 v1.5) and ECDSA keys,
// signed and verified by node:crypto (synchronously, as Bloblang runs). Claims are not
// validated beyond what golang-jwt checks by default (exp, nbf).

import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto'
import { plainErr, typeError } from '../errors.ts'
import { type MethodSpec, pluginMethod } from '../registry.ts'
import {
  encodeJSON,
  float64,
  getNumber,
  getString,
  isNumber,
  isObject,
  parseJSON,
  type Value,
  type VObject,
} from '../value.ts'

function toNumber(v: Value): number {
  return isNumber(v) ? getNumber(v) : Number.NaN
}

type Family = 'HS' | 'RS' | 'ES'

const ES_SIZE: Record<string, number> = { '256': 32, '384': 48, '512': 66 }

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url')
}

function keyError(family: Family, secret: string, priv: boolean): KeyObject {
  try {
    const key = priv ? createPrivateKey(secret) : createPublicKey(secret)
    const type = key.asymmetricKeyType
    if (family === 'RS' && type !== 'rsa') throw new Error('key is not a valid RSA key')
    if (family === 'ES' && type !== 'ec') throw new Error('key is not a valid ECDSA key')
    return key
  } catch (e) {
    const msg = (e as Error).message
    if (msg.startsWith('key is not')) throw plainErr(msg)
    throw plainErr('invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key')
  }
}

/** Claims as golang-jwt decodes them: JSON numbers become float64. */
function claimsOf(json: Value): VObject {
  const toFloat = (v: Value): Value => {
    if (typeof v === 'number') return float64(v)
    if (Array.isArray(v)) return v.map(toFloat)
    if (isObject(v)) {
      const out: VObject = {}
      for (const k of Object.keys(v)) out[k] = toFloat(v[k] as Value)
      return out
    }
    return v
  }
  return toFloat(json) as VObject
}

function malformed(why: string): never {
  throw plainErr(`failed to parse JWT string: token is malformed: ${why}`)
}

function decodeSegment(s: string, what: string): Value {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) malformed(`could not base64 decode ${what}`)
  try {
    return parseJSON(Buffer.from(s, 'base64url').toString('utf8'))
  } catch {
    return malformed(`could not JSON decode ${what}`)
  }
}

function parser(family: Family, bits: string, secret: string): (token: string) => Value {
  const alg = `${family}${bits}`
  const key: KeyObject | Buffer = family === 'HS' ? Buffer.from(secret) : keyError(family, secret, false)
  return (token) => {
    const parts = token.split('.')
    if (parts.length !== 3) malformed('token contains an invalid number of segments')
    const [h, p, sig] = parts as [string, string, string]
    const header = decodeSegment(h, 'header')
    const claims = decodeSegment(p, 'claim')
    if (!isObject(header) || !isObject(claims)) malformed('could not JSON decode claim')
    const hAlg = (header as VObject).alg
    if (hAlg !== alg) {
      throw plainErr(
        `failed to parse JWT string: token is unverifiable: error while executing keyfunc: incorrect signing method: ${typeof hAlg === 'string' ? hAlg : '<nil>'}`,
      )
    }
    if (!/^[A-Za-z0-9_-]*$/.test(sig)) malformed('could not base64 decode signature')
    const signature = Buffer.from(sig, 'base64url')
    const input = `${h}.${p}`
    let ok: boolean
    if (family === 'HS') {
      const want = createHmac(`sha${bits}`, key as Buffer)
        .update(input)
        .digest()
      ok = want.length === signature.length && timingSafeEqual(want, signature)
    } else if (family === 'RS') {
      ok = createVerify(`RSA-SHA${bits}`)
        .update(input)
        .verify(key as KeyObject, signature)
    } else {
      ok =
        signature.length === 2 * (ES_SIZE[bits] as number) &&
        createVerify(`SHA${bits}`)
          .update(input)
          .verify({ key: key as KeyObject, dsaEncoding: 'ieee-p1363' }, signature)
    }
    if (!ok) {
      const why = family === 'RS' ? 'crypto/rsa: verification error' : 'signature is invalid'
      throw plainErr(`failed to parse JWT string: token signature is invalid: ${why}`)
    }
    const c = claimsOf(claims)
    const now = Date.now() / 1000
    const exp = c.exp
    if (exp !== undefined && exp !== null && typeof exp !== 'string' && toNumber(exp) <= now)
      throw plainErr('failed to parse JWT string: token has invalid claims: token is expired')
    const nbf = c.nbf
    if (nbf !== undefined && nbf !== null && typeof nbf !== 'string' && toNumber(nbf) > now)
      throw plainErr('failed to parse JWT string: token has invalid claims: token is not valid yet')
    return c
  }
}

function signer(family: Family, bits: string, secret: string): (claims: VObject) => string {
  const alg = `${family}${bits}`
  let key: KeyObject | Buffer
  if (family === 'HS') key = Buffer.from(secret)
  else {
    try {
      key = keyError(family, secret, true)
    } catch (e) {
      throw plainErr(`failed to decode signing_secret: ${(e as { message: string }).message}`)
    }
  }
  return (claims) => {
    // golang-jwt marshals the header and claims maps with encoding/json (sorted keys).
    const input = `${b64url(encodeJSON({ alg, typ: 'JWT' }, true))}.${b64url(encodeJSON(claims, true))}`
    let sig: Buffer
    if (family === 'HS')
      sig = createHmac(`sha${bits}`, key as Buffer)
        .update(input)
        .digest()
    else if (family === 'RS')
      sig = createSign(`RSA-SHA${bits}`)
        .update(input)
        .sign(key as KeyObject)
    else
      sig = createSign(`SHA${bits}`)
        .update(input)
        .sign({ key: key as KeyObject, dsaEncoding: 'ieee-p1363' })
    return `${input}.${b64url(sig)}`
  }
}

export const jwtMethods: MethodSpec[] = (['HS', 'RS', 'ES'] as Family[]).flatMap((family) =>
  ['256', '384', '512'].flatMap((bits) => {
    const suffix = `${family.toLowerCase()}${bits}`
    return [
      pluginMethod(`parse_jwt_${suffix}`, { params: [{ name: 'signing_secret', type: 'string' }] }, (a) => {
        const parse = parser(family, bits, a.string('signing_secret'))
        return (v) => parse(getString(v))
      }),
      pluginMethod(`sign_jwt_${suffix}`, { params: [{ name: 'signing_secret', type: 'string' }] }, (a) => {
        const sign = signer(family, bits, a.string('signing_secret'))
        return (v) => {
          if (!isObject(v)) throw typeError(v, ['object'])
          return sign(v)
        }
      }),
    ]
  }),
)
