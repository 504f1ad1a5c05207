// Bento's `tls` object, shared by every networked connector, and its translation to Node's TLS
// options. Certificates come inline or from files; keys and passwords are secrets.
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import { field } from '../spec.ts'

export interface TlsConfig {
  enabled: boolean
  skip_cert_verify: boolean
  enable_renegotiation: boolean
  root_cas: string
  root_cas_file: string
  client_certs: { cert: string; key: string; cert_file: string; key_file: string; password: string }[]
}

const clientCertFields = [
  field.string('cert', { default: '', description: 'A plain text certificate to use.' }),
  field.string('key', { default: '', secret: true, description: 'A plain text certificate key to use.' }),
  field.string('cert_file', { default: '', description: 'The path of a certificate to use.' }),
  field.string('key_file', { default: '', description: 'The path of a certificate key to use.' }),
  field.string('password', {
    default: '',
    secret: true,
    description: 'A plain text password for when the private key is password encrypted (PKCS#1 or PKCS#8).',
  }),
]

/** The `tls` default: TLS off. For configs written in code (`tls: noTls`); parsing copies it. */
export const noTls = {
  enabled: false,
  skip_cert_verify: false,
  enable_renegotiation: false,
  root_cas: '',
  root_cas_file: '',
  client_certs: [],
}

/** The `tls` field as Bento declares it (disabled by default). */
export const tlsField = field.object(
  'tls',
  [
    field.bool('enabled', { default: false, description: 'Whether custom TLS settings are enabled.' }),
    field.bool('skip_cert_verify', {
      default: false,
      description: 'Whether to skip server side certificate verification.',
    }),
    field.bool('enable_renegotiation', {
      default: false,
      advanced: true,
      description: 'Whether to allow the remote server to repeatedly request renegotiation.',
    }),
    field.string('root_cas', {
      default: '',
      secret: true,
      description: 'An optional root certificate authority to use, as a plain text certificate.',
    }),
    field.string('root_cas_file', {
      default: '',
      description: 'An optional path of a root certificate authority file to use.',
    }),
    field.array('client_certs', clientCertFields, {
      default: [],
      description: 'A list of client certificates to use.',
    }),
  ],
  {
    default: noTls,
    advanced: true,
    description: 'Custom TLS settings can be used to override system defaults.',
  },
)

/** Node TLS options for a `tls` config, or undefined when TLS is not enabled. Throws on unreadable files. */
export function tlsOptions(c: TlsConfig | undefined): ConnectionOptions | undefined {
  if (c === undefined || !c.enabled) return undefined
  const options: ConnectionOptions = { rejectUnauthorized: !c.skip_cert_verify }
  const cas: string[] = []
  if (c.root_cas !== '') cas.push(c.root_cas)
  if (c.root_cas_file !== '') cas.push(readText(c.root_cas_file, 'tls.root_cas_file'))
  if (cas.length > 0) options.ca = cas
  if (c.client_certs.length > 0) {
    const certs: string[] = []
    const keys: { pem: string; passphrase?: string }[] = []
    c.client_certs.forEach((cc, i) => {
      const cert = cc.cert !== '' ? cc.cert : readText(cc.cert_file, `tls.client_certs.${i}.cert_file`)
      const key = cc.key !== '' ? cc.key : readText(cc.key_file, `tls.client_certs.${i}.key_file`)
      if (cert === '' || key === '')
        throw new Error(`tls.client_certs.${i}: a cert and a key are both required`)
      certs.push(cert)
      keys.push(cc.password !== '' ? { pem: key, passphrase: cc.password } : { pem: key })
    })
    options.cert = certs
    options.key = keys
  }
  return options
}

function readText(path: string, what: string): string {
  if (path === '') return ''
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`${what}: cannot read ${path}: ${(err as Error).message}`)
  }
}
