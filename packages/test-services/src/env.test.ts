import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test, vi } from 'vitest'

const dir = mkdtempSync(join(tmpdir(), 'services-env-'))
vi.stubEnv('BENTO_TS_SERVICES_DIR', dir)
const { requireService } = await import('./env.ts')

afterAll(() => vi.unstubAllEnvs())

test('a service that is not up is an error that says how to start it, never a skip', () => {
  expect(() => requireService('kafka')).toThrow(
    /kafka is not running: start the test services with `pnpm services:up`/,
  )
})

test('a service that is up gives its endpoints from the env file', () => {
  writeFileSync(join(dir, 'services.env'), '# comment\nREDIS_URL=redis://127.0.0.1:16379\n')
  expect(requireService('redis').REDIS_URL).toBe('redis://127.0.0.1:16379')
  expect(() => requireService('nats')).toThrow(/nats is not running/)
})
