import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  checkManifest,
  checkReadme,
  conventionsFrom,
  fixManifest,
  formatReports,
  orderKeys,
  runMetadata,
} from './package-metadata.ts'
import { type Manifest, repoRoot, rootManifest } from './workspace.ts'

const conventions = conventionsFrom(
  {
    name: 'bento-ts',
    license: 'MIT',
    repository: { type: 'git', url: 'git+https://github.com/acme/bento-ts.git' },
  },
  ['@bento-ts/test-services'],
)

/** A package.json as `pnpm new:connector` made them before this check existed. */
const bare = (): Manifest => ({
  name: '@bento-ts/kafka',
  version: '0.0.0',
  description: 'kafka components for bento-ts',
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  engines: { node: '>=24' },
  exports: { '.': { default: './dist/index.js', types: './dist/index.d.ts' } },
  files: ['dist'],
  scripts: { build: 'tsc -p tsconfig.build.json' },
  dependencies: { '@bento-ts/core': 'workspace:^', kafkajs: '2.2.4' },
  devDependencies: { '@bento-ts/test-services': 'workspace:^' },
})

describe('conventionsFrom', () => {
  it('derives the GitHub addresses from the root repository field', () => {
    expect(conventions.repoWeb).toBe('https://github.com/acme/bento-ts')
    expect(conventions.repoGit).toBe('git+https://github.com/acme/bento-ts.git')
    expect(conventionsFrom({ license: 'MIT', repository: 'github.com/acme/x' }).repoWeb).toBe(
      'https://github.com/acme/x',
    )
  })
  it('refuses a root without a GitHub repository', () => {
    expect(() => conventionsFrom({ license: 'MIT' })).toThrow(/repository\.url must be a GitHub repository/)
  })
})

describe('checkManifest', () => {
  it('names every missing or wrong field, and which ones --fix writes', () => {
    const problems = checkManifest(bare(), 'packages/kafka', conventions)
    expect(problems.map((p) => [p.field, p.fixable])).toEqual([
      ['repository', true],
      ['homepage', true],
      ['bugs', true],
      ['publishConfig', true],
      ['keywords', true],
      ['exports["./package.json"]', true],
      ['exports["."]', true],
    ])
    expect(problems.find((p) => p.field === 'exports["."]')!.message).toBe(
      '"types" must be the first condition (is: default, types)',
    )
  })

  it('a fixed manifest has no problems left', () => {
    const fixed = fixManifest(bare(), 'packages/kafka', conventions)
    expect(checkManifest(fixed, 'packages/kafka', conventions)).toEqual([])
    expect(fixed.repository).toEqual({
      type: 'git',
      url: 'git+https://github.com/acme/bento-ts.git',
      directory: 'packages/kafka',
    })
    expect(fixed.homepage).toBe('https://github.com/acme/bento-ts/tree/main/packages/kafka#readme')
    expect(fixed.exports).toEqual({
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    })
    expect(Object.keys((fixed.exports as Record<string, object>)['.']!)).toEqual(['types', 'default'])
  })

  it('what --fix cannot decide stays a problem', () => {
    const m = {
      ...fixManifest(bare(), 'packages/kafka', conventions),
      name: '@bento-ts/kafka-connector',
      version: 'next',
      description: ' ',
      exports: {
        '.': { types: './src/index.ts', default: './dist/index.js' },
        './package.json': './package.json',
      },
      dependencies: { '@bento-ts/test-services': 'workspace:^' },
    }
    expect(checkManifest(m, 'packages/kafka', conventions).map((p) => `${p.field}: ${p.message}`)).toEqual([
      'name: must be "@bento-ts/kafka" (is "@bento-ts/kafka-connector")',
      'version: must be a semver version (is "next")',
      'description: is missing',
      'exports["."].types: "./src/index.ts" must be a .d.ts file under ./dist/',
      'dependencies.@bento-ts/test-services: is a private workspace package: npm users cannot install it (move it to devDependencies)',
    ])
  })

  it('keeps extra keywords and publishConfig entries, adding ours', () => {
    const m = { ...bare(), keywords: ['kafka', 'bento'], publishConfig: { tag: 'next' } }
    const fixed = fixManifest(m, 'packages/kafka', conventions)
    expect(fixed.keywords).toEqual(['bento', 'bento-ts', 'stream-processing', 'kafka'])
    expect(fixed.publishConfig).toEqual({ tag: 'next', access: 'public' })
  })

  it('conditions nested under import/require need types first too', () => {
    const m = {
      ...fixManifest(bare(), 'packages/kafka', conventions),
      exports: {
        '.': { import: { default: './dist/index.js', types: './dist/index.d.ts' } },
        './package.json': './package.json',
      },
    }
    expect(checkManifest(m, 'packages/kafka', conventions).map((p) => p.field)).toEqual([
      'exports["."].import',
    ])
    const fixed = fixManifest(m, 'packages/kafka', conventions)
    expect(checkManifest(fixed, 'packages/kafka', conventions)).toEqual([])
  })
})

describe('orderKeys', () => {
  it('puts known keys in the usual order and keeps unknown ones after them', () => {
    const ordered = orderKeys({ devDependencies: {}, custom: 1, name: 'x', scripts: {}, version: '1.0.0' })
    expect(Object.keys(ordered)).toEqual(['name', 'version', 'scripts', 'devDependencies', 'custom'])
  })
})

describe('checkReadme', () => {
  it('wants an install line for this package and a runnable example', () => {
    const good =
      '# x\n\n```sh\npnpm add @bento-ts/core @bento-ts/kafka\n```\n\n```yaml\ninput:\n  kafka: {}\n```\n'
    expect(checkReadme(good, '@bento-ts/kafka')).toEqual([])
    expect(checkReadme(undefined, '@bento-ts/kafka').map((p) => p.message)).toEqual(['is missing'])
    const messages = checkReadme('pnpm add @bento-ts/kafka-extra\n', '@bento-ts/kafka').map((p) => p.message)
    expect(messages).toEqual([
      'has no install line (e.g. `pnpm add @bento-ts/kafka`)',
      'has no runnable example (a ```yaml config or ```ts code block)',
    ])
  })
})

it('formatReports names the file and field, and says when --fix helps', () => {
  const text = formatReports([
    {
      dir: 'packages/kafka',
      name: '@bento-ts/kafka',
      fixed: false,
      problems: [
        { field: 'files', message: 'must list "dist"', fixable: true },
        { field: 'README.md', message: 'is missing', fixable: false },
      ],
    },
  ])
  expect(text).toBe(
    'packages/kafka/package.json: files: must list "dist" (--fix writes it)\npackages/kafka/README.md: is missing',
  )
})

it('runMetadata skips private packages and refuses unknown folders', () => {
  const dirs = runMetadata({ fix: false }).map((r) => r.dir)
  expect(dirs).toContain('packages/core')
  expect(dirs).not.toContain('packages/test-services')
  expect(dirs).not.toContain('apps/plugin')
  expect(() => runMetadata({ fix: false, dirs: ['packages/test-services'] })).toThrow(
    /not a publishable workspace package: packages\/test-services/,
  )
})

it('a package made from templates/connector passes the metadata check', () => {
  const template = readFileSync(join(repoRoot, 'templates', 'connector', 'package.json'), 'utf8')
  const made = JSON.parse(template.replaceAll('CONNECTOR', 'kinesis')) as Manifest
  expect(checkManifest(made, 'packages/kinesis', conventionsFrom(rootManifest()))).toEqual([])
})
