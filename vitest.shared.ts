import { defineConfig } from 'vitest/config'

// Every package runs two vitest projects: `unit` (tests beside the code in src/, no services) and
// `integration` (tests in test/, against the real servers that `pnpm services:up` starts).
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // Google's clients otherwise probe the GCE metadata server, an address off this machine.
          env: { METADATA_SERVER_DETECTION: 'none' },
        },
      },
    ],
  },
})
