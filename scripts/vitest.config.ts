import { defineConfig } from 'vitest/config'

// The release scripts' unit tests (`pnpm test:scripts`): their own logic, offline (the bump
// script reads recorded registry answers from fixtures/registry).
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    exclude: ['fixtures/**', 'node_modules/**'],
  },
})
