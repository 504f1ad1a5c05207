import { requireService } from '@bento-ts/test-services'
import { expect, test } from 'vitest'

// A new connector starts red on purpose: replace this with a real round trip through the package's
// input and output, against the server that `pnpm services:up` starts (requireService fails loudly
// when that server is not running).
test('CONNECTOR round trip against the real server', () => {
  requireService('kafka')
  expect.fail('write the CONNECTOR round trip (see CONTRIBUTING.md)')
})
