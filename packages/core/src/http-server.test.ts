import { expect, test } from 'vitest'
import { startStatusServer } from './http-server.ts'
import { silentLogger } from './logger.ts'
import { createMetrics } from './metrics.ts'
import { loadStreamConfig, startStream } from './run.ts'
import { standardEnvironment } from './standard.ts'

test('/ping, /ready and /metrics answer at the root and under root_path', async () => {
  const metrics = createMetrics()
  metrics.counter('input_received', { label: 'in', path: 'in' }).inc(3)
  let ready = false
  const server = await startStatusServer(
    { enabled: true, address: '127.0.0.1:0', root_path: '/bento' },
    metrics,
    silentLogger,
    () => ready,
  )
  const base = `http://${server!.address}`
  try {
    expect(await (await fetch(`${base}/ping`)).text()).toBe('pong')
    expect((await fetch(`${base}/bento/ping`)).status).toBe(200)
    expect((await fetch(`${base}/ready`)).status).toBe(503)
    ready = true
    expect((await fetch(`${base}/ready`)).status).toBe(200)
    const text = await (await fetch(`${base}/metrics`)).text()
    expect(text).toContain('input_received{label="in",path="in"} 3')
    expect((await fetch(`${base}/nope`)).status).toBe(404)
  } finally {
    await server!.close()
  }
})

test('disabled: no server', async () => {
  expect(
    await startStatusServer(
      { enabled: false, address: '127.0.0.1:0', root_path: '' },
      createMetrics(),
      silentLogger,
      () => true,
    ),
  ).toBeUndefined()
})

test('a running stream reports Bento-named metrics over its status server', async () => {
  const env = standardEnvironment()
  const config = loadStreamConfig(
    'http:\n  address: 127.0.0.1:0\ninput:\n  generate:\n    count: 5\n    interval: ""\n    mapping: root = 1\n' +
      'pipeline:\n  processors:\n    - label: fail_odd\n      mapping: root = if this % 2 == 1 { throw("odd") } else { this }\n' +
      'output:\n  drop: {}\n',
    env,
    { vars: {} },
  )
  const metrics = createMetrics()
  const stream = await startStream(config, env, { logger: silentLogger, metrics, statusServer: true })
  await stream.done
  const text = await metrics.registry.metrics()
  expect(text).toContain('input_received{label="generate",path="generate"} 5')
  expect(text).toContain('output_sent{label="drop",path="drop"} 5')
  expect(text).toContain('processor_received{label="fail_odd",path="pipeline.processors.0.mapping"} 5')
  expect(text).toContain('processor_error{label="fail_odd",path="pipeline.processors.0.mapping"} 5')
})

/** A status server from a stream config's `http` block, with its defaults. */
async function serverFor(yaml: string) {
  const config = loadStreamConfig(`http:\n  address: 127.0.0.1:0\n${yaml}`, standardEnvironment(), {
    vars: {},
  })
  const server = await startStatusServer(config.http, createMetrics(), silentLogger, () => true)
  return { base: `http://${server!.address}`, close: () => server!.close() }
}

test('http.cors: preflights answered, allowed origins named, others passed through untouched', async () => {
  const { base, close } = await serverFor(
    '  cors:\n    enabled: true\n    allowed_origins: [ "https://a.example" ]\n    allowed_headers: [ x-token ]\n',
  )
  try {
    const preflight = await fetch(`${base}/ping`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://a.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'x-token',
      },
    })
    expect(preflight.status).toBe(200)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://a.example')
    expect(preflight.headers.get('access-control-allow-methods')).toBe('PUT')
    expect(preflight.headers.get('access-control-allow-headers')).toBe('X-Token')
    const allowed = await fetch(`${base}/ping`, { headers: { origin: 'https://a.example' } })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://a.example')
    expect(await allowed.text()).toBe('pong')
    const other = await fetch(`${base}/ping`, { headers: { origin: 'https://b.example' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  } finally {
    await close()
  }
})

test('http.basic_auth: every endpoint asks for the user and the password of each hash algorithm', async () => {
  const { createHash, scryptSync } = await import('node:crypto')
  const bcrypt = (await import('bcryptjs')).default
  const salt = Buffer.from('pepper').toString('base64')
  const hashes: Record<string, string> = {
    md5: createHash('md5').update('s3cret').digest('base64'),
    sha256: createHash('sha256').update('s3cret').digest('base64'),
    scrypt: scryptSync('s3cret', Buffer.from(salt, 'base64'), 32, {
      N: 32768,
      r: 8,
      p: 1,
      maxmem: 67108864,
    }).toString('base64'),
    bcrypt: Buffer.from(bcrypt.hashSync('s3cret', 4)).toString('base64'),
  }
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  })
  for (const [algorithm, hash] of Object.entries(hashes)) {
    const { base, close } = await serverFor(
      `  basic_auth:\n    enabled: true\n    username: admin\n    password_hash: "${hash}"\n    algorithm: ${algorithm}\n    salt: "${salt}"\n`,
    )
    try {
      const none = await fetch(`${base}/ping`)
      expect(none.status, algorithm).toBe(401)
      expect(none.headers.get('www-authenticate')).toBe('Basic realm="restricted", charset="UTF-8"')
      expect((await fetch(`${base}/metrics`, { headers: basic('admin', 'wrong') })).status, algorithm).toBe(
        401,
      )
      expect((await fetch(`${base}/ping`, { headers: basic('root', 's3cret') })).status, algorithm).toBe(401)
      const ok = await fetch(`${base}/ping`, { headers: basic('admin', 's3cret') })
      expect(ok.status, algorithm).toBe(200)
      expect(await ok.text()).toBe('pong')
    } finally {
      await close()
    }
  }
})

test('a cors or basic_auth block Bento refuses fails the start with its path', async () => {
  await expect(serverFor('  cors:\n    enabled: true\n')).rejects.toThrow(
    'http.cors.allowed_origins: must specify at least one allowed origin',
  )
  await expect(serverFor('  basic_auth:\n    enabled: true\n    username: admin\n')).rejects.toThrow(
    'http.basic_auth: both username and password_hash are required',
  )
  await expect(
    serverFor(
      '  basic_auth:\n    enabled: true\n    username: a\n    password_hash: eA==\n    algorithm: scrypt\n',
    ),
  ).rejects.toThrow('http.basic_auth.salt: salt is required for scrypt')
  // an algorithm Bento does not have is a lint error at its position
  await expect(serverFor('  basic_auth:\n    algorithm: sha1\n')).rejects.toThrow(
    'http.basic_auth.algorithm: "sha1" is not one of md5, sha256, bcrypt, scrypt',
  )
})
