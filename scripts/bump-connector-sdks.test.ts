import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  changesetFiles,
  connectorSdks,
  editedManifests,
  fixtureRegistry,
  formatPlan,
  type Packument,
  planBumps,
  prBody,
  prTitle,
  type Registry,
  readConfig,
  rewriteRange,
  type SdkConfig,
  trimDependencyPackument,
} from './bump-connector-sdks.ts'
import { type Manifest, manifestText, repoRoot, type WorkspacePackage } from './workspace.ts'

// Real registry answers, recorded (see fixtures/registry/README.md).
const recorded = fixtureRegistry(join(import.meta.dirname, 'fixtures', 'registry'))
const node = '24.21.0'

function pkg(dir: string, manifest: Manifest): WorkspacePackage {
  return { dir, manifest, text: manifestText(manifest) }
}

const workspace = [
  pkg('packages/kafka', {
    name: '@bento-ts/kafka',
    version: '0.1.0',
    dependencies: { '@bento-ts/core': 'workspace:^', kafkajs: '2.2.0' },
  }),
  pkg('packages/aws-s3', {
    name: '@bento-ts/aws-s3',
    version: '0.1.0',
    dependencies: { '@aws-sdk/client-s3': '^3.1160.0' },
  }),
  pkg('packages/gcp-pubsub', {
    name: '@bento-ts/gcp-pubsub',
    version: '0.1.0',
    dependencies: { '@google-cloud/pubsub': '6.2.0' },
  }),
  pkg('packages/plugin-host-bridge', {
    name: '@bento-ts/plugin-host-bridge',
    version: '0.1.0',
    dependencies: {
      '@bento-ts/core': 'workspace:^',
      '@bufbuild/protobuf': '^2.16.0',
      '@grpc/grpc-js': '^1.14.7',
    },
  }),
  pkg('packages/core', { name: '@bento-ts/core', version: '0.1.0', dependencies: {} }),
  pkg('packages/test-services', {
    name: '@bento-ts/test-services',
    version: '0.0.0',
    private: true,
    dependencies: { kafkajs: '2.2.0', ioredis: '5.11.0', '@aws-sdk/client-s3': '^3.1169.0' },
  }),
  pkg('apps/plugin', {
    name: '@bento-ts/plugin',
    version: '0.1.0',
    private: true,
    dependencies: { '@bento-ts/plugin-host-bridge': 'workspace:^' },
    devDependencies: { '@bento-ts/test-services': 'workspace:^' },
  }),
]

const config: SdkConfig = {
  sdks: [
    'kafkajs',
    '@aws-sdk/client-s3',
    '@google-cloud/pubsub',
    'ioredis',
    '@grpc/grpc-js',
    '@bufbuild/protobuf',
  ],
  holds: {},
}

describe('rewriteRange', () => {
  it('keeps the form of the range', () => {
    expect(rewriteRange('2.2.0', '2.2.4')).toBe('2.2.4')
    expect(rewriteRange('^3.1160.0', '3.1169.0')).toBe('^3.1169.0')
    expect(rewriteRange('~1.2.3', '1.2.9')).toBe('~1.2.9')
    expect(rewriteRange('>=1.0.0', '2.0.0')).toBe('>=2.0.0')
  })
  it('gives up on ranges that are not one version', () => {
    expect(rewriteRange('1.x', '2.0.0')).toBeUndefined()
    expect(rewriteRange('^1 || ^2', '3.0.0')).toBeUndefined()
    expect(rewriteRange('workspace:^', '3.0.0')).toBeUndefined()
  })
})

describe('planBumps against recorded registry answers', () => {
  it('moves each SDK to its newest installable release, in every package that uses it', async () => {
    const plan = await planBumps(workspace, config, recorded, node)
    const bySdk = Object.fromEntries(plan.sdks.map((s) => [s.sdk, s]))

    expect(bySdk.kafkajs!.target).toBe('2.2.4')
    expect(bySdk.kafkajs!.updates.map((u) => [u.dir, u.to])).toEqual([
      ['packages/kafka', '2.2.4'],
      ['packages/test-services', '2.2.4'],
    ])
    expect(bySdk['@aws-sdk/client-s3']!.updates.map((u) => [u.dir, u.spec, u.to])).toEqual([
      ['packages/aws-s3', '^3.1160.0', '^3.1169.0'],
    ])
    expect(bySdk['@grpc/grpc-js']!.target).toBeUndefined()
    expect(bySdk['@grpc/grpc-js']!.updates).toEqual([])
    expect(bySdk['@bufbuild/protobuf']!.updates.map((u) => u.to)).toEqual(['^2.17.0'])
  })

  it('passes over a release whose dependencies were never published (@google-cloud/pubsub 6.3.2)', async () => {
    const plan = await planBumps(workspace, config, recorded, node)
    const pubsub = plan.sdks.find((s) => s.sdk === '@google-cloud/pubsub')!
    expect(pubsub.latest).toBe('6.3.2')
    expect(pubsub.target).toBe('6.3.0')
    expect(pubsub.rejected).toEqual([
      {
        version: '6.3.2',
        reason:
          'not installable: depends on @google-cloud/pubsub-api@^0.7.0, which has no published version (newest 0.3.0)',
      },
    ])
    expect(pubsub.updates.map((u) => u.to)).toEqual(['6.3.0'])
  })

  it('honours holds: skipped versions and allowed ranges, giving the reason', async () => {
    const held: SdkConfig = {
      ...config,
      holds: {
        '@google-cloud/pubsub': { skip: ['6.3.0'], reason: 'broke acks in our tests' },
        ioredis: { allow: '<6', reason: 'v6 changes the cluster API' },
      },
    }
    const plan = await planBumps(workspace, held, recorded, node)
    const pubsub = plan.sdks.find((s) => s.sdk === '@google-cloud/pubsub')!
    // Both newer releases excluded: 6.2.0 stays.
    expect(pubsub.target).toBeUndefined()
    expect(pubsub.updates).toEqual([])
    expect(pubsub.rejected.map((r) => r.version)).toEqual(['6.3.2', '6.3.0'])
    expect(pubsub.rejected[1]!.reason).toBe('held: broke acks in our tests')
    const ioredis = plan.sdks.find((s) => s.sdk === 'ioredis')!
    // 6.0.0 is held; 6.0.0-beta.1 is a pre-release and never a candidate.
    expect(ioredis.target).toBe('5.11.1')
    expect(ioredis.rejected).toEqual([{ version: '6.0.0', reason: 'held to <6: v6 changes the cluster API' }])
  })

  it('takes a major release when nothing holds it, and says so in the pull request', async () => {
    const plan = await planBumps(workspace, config, recorded, node)
    const ioredis = plan.sdks.find((s) => s.sdk === 'ioredis')!
    expect(ioredis.target).toBe('6.0.0')
    expect(prBody(plan)).toContain(
      '| `ioredis` | 5.11.0 | 6.0.0 (major: read its changelog) | packages/test-services |',
    )
  })

  it('the repository’s own holds file is valid and holds @google-cloud/pubsub 6.3.2 with a reason', () => {
    const own = readConfig()
    expect(own.sdks).toEqual(
      expect.arrayContaining([
        'kafkajs',
        '@aws-sdk/client-sqs',
        '@aws-sdk/client-s3',
        '@google-cloud/pubsub',
        'nats',
        'ioredis',
        '@grpc/grpc-js',
        '@bufbuild/protobuf',
      ]),
    )
    expect(own.holds['@google-cloud/pubsub']?.skip).toContain('6.3.2')
  })
})

describe('changesets', () => {
  it('one patch changeset per released package that changed, and the plugin when it bundles one', async () => {
    const plan = await planBumps(workspace, config, recorded, node)
    expect(plan.changesets.map((c) => c.name)).toEqual([
      '@bento-ts/aws-s3',
      '@bento-ts/gcp-pubsub',
      '@bento-ts/kafka',
      '@bento-ts/plugin-host-bridge',
      '@bento-ts/plugin',
    ])
    const files = changesetFiles(plan, '2026-11-23')
    expect(files.get('sdks-2026-11-23-kafka.md')).toBe(
      '---\n"@bento-ts/kafka": patch\n---\n\nConnector SDKs updated: kafkajs 2.2.0 → 2.2.4.\n',
    )
    expect(files.get('sdks-2026-11-23-plugin.md')).toBe(
      '---\n"@bento-ts/plugin": patch\n---\n\nThe prebuilt plugin bundles the new SDK releases: @bufbuild/protobuf 2.16.0 → 2.17.0 (in @bento-ts/plugin-host-bridge).\n',
    )
    // test-services is private and not released: its package.json moves, no changeset.
    expect([...files.keys()].some((f) => f.includes('test-services'))).toBe(false)
  })

  it('nothing changed, nothing to release', async () => {
    const current = [
      pkg('packages/kafka', {
        name: '@bento-ts/kafka',
        version: '0.1.0',
        dependencies: { kafkajs: '2.2.4' },
      }),
    ]
    const plan = await planBumps(current, { sdks: ['kafkajs'], holds: {} }, recorded, node)
    expect(plan.changesets).toEqual([])
    expect(formatPlan(plan)).toBe(
      'kafkajs: ours 2.2.4, latest 2.2.4: up to date\nchangesets: none (nothing to release)\n',
    )
  })
})

describe('editedManifests', () => {
  it('rewrites only the SDK ranges, in every section, leaving the rest of the text alone', async () => {
    const text =
      '{\n  "name": "@bento-ts/kafka",\n  "version": "0.1.0",\n  "dependencies": {\n    "kafkajs": "2.2.0"\n  },\n' +
      '  "devDependencies": {\n    "kafkajs-extra": "2.2.0",\n    "kafkajs": "2.2.0"\n  }\n}\n'
    const p: WorkspacePackage = { dir: 'packages/kafka', manifest: JSON.parse(text) as Manifest, text }
    const plan = await planBumps([p], { sdks: ['kafkajs'], holds: {} }, recorded, node)
    expect(editedManifests(plan, [p]).get('packages/kafka')).toBe(
      text.replaceAll('"kafkajs": "2.2.0"', '"kafkajs": "2.2.4"'),
    )
  })

  it('leaves ranges it cannot rewrite, and says so', async () => {
    const p = pkg('packages/kafka', {
      name: '@bento-ts/kafka',
      version: '0.1.0',
      dependencies: { kafkajs: '1.x || 2.x' },
    })
    const plan = await planBumps([p], { sdks: ['kafkajs'], holds: {} }, recorded, node)
    expect(plan.sdks[0]!.updates).toEqual([])
    expect(formatPlan(plan)).toContain(
      'left as is: packages/kafka/package.json dependencies: range "1.x || 2.x"',
    )
  })
})

describe('candidates', () => {
  const doc = (versions: Packument['versions'], latest: string): Packument => ({
    name: 'sdk',
    'dist-tags': { latest },
    versions,
  })
  const registryOf =
    (docs: Record<string, Packument>): Registry =>
    async (name) =>
      docs[name]
  const one = [pkg('packages/x', { name: '@bento-ts/x', version: '0.1.0', dependencies: { sdk: '^1.0.0' } })]

  it('never past latest, never deprecated, never needing another Node', async () => {
    const registry = registryOf({
      sdk: doc(
        {
          '1.0.0': { version: '1.0.0' },
          '1.1.0': { version: '1.1.0' },
          '1.2.0': { version: '1.2.0', engines: { node: '>=26' } },
          '1.3.0': { version: '1.3.0', deprecated: 'data loss, use 1.3.1' },
          '1.4.0': { version: '1.4.0' },
        },
        '1.3.0',
      ),
    })
    const plan = await planBumps(one, { sdks: ['sdk'], holds: {} }, registry, node)
    expect(plan.sdks[0]!.target).toBe('1.1.0')
    expect(plan.sdks[0]!.rejected).toEqual([{ version: '1.2.0', reason: 'needs Node >=26, we run 24.21.0' }])
  })

  it('a dependency missing from the registry makes a release not installable', async () => {
    const registry = registryOf({
      sdk: doc(
        { '1.0.0': { version: '1.0.0' }, '1.1.0': { version: '1.1.0', dependencies: { gone: '^1.0.0' } } },
        '1.1.0',
      ),
    })
    const plan = await planBumps(one, { sdks: ['sdk'], holds: {} }, registry, node)
    expect(plan.sdks[0]!.target).toBeUndefined()
    expect(plan.sdks[0]!.rejected[0]!.reason).toBe(
      'not installable: depends on gone@^1.0.0, which is not on the registry',
    )
  })

  it('an SDK the registry does not know is reported, not guessed', async () => {
    const plan = await planBumps(one, { sdks: ['sdk'], holds: {} }, registryOf({}), node)
    expect(plan.sdks[0]!.missing).toBe(true)
    expect(formatPlan(plan)).toContain('sdk: not on the registry (used in packages/x)')
  })
})

it('recorded dependency documents keep the versions that decide resolution', () => {
  const trimmed = trimDependencyPackument(
    {
      name: 'dep',
      'dist-tags': { latest: '2.1.0' },
      versions: Object.fromEntries(['1.0.0', '1.2.0', '2.0.0', '2.1.0'].map((v) => [v, { version: v }])),
    },
    ['^1.0.0', '^3.0.0'],
  )
  expect(Object.keys(trimmed.versions)).toEqual(['1.2.0', '2.1.0'])
})

it('the pull request title names what moved', async () => {
  const plan = await planBumps(workspace, config, recorded, node)
  expect(prTitle(plan)).toBe(
    'Connector SDKs: kafkajs 2.2.4, @aws-sdk/client-s3 3.1169.0, @google-cloud/pubsub 6.3.0, ioredis 6.0.0, @bufbuild/protobuf 2.17.0',
  )
})

describe('which SDKs the bump keeps current', () => {
  it('the SDKs are the registry dependencies of every package that takes @bento-ts/core as a peer', () => {
    const packages = [
      pkg('packages/aws-sqs', {
        name: '@bento-ts/aws-sqs',
        version: '0.1.0',
        dependencies: { '@aws-sdk/client-sqs': '^3.1169.0', '@bento-ts/aws': 'workspace:^' },
        peerDependencies: { '@bento-ts/core': 'workspace:^' },
      }),
      pkg('packages/aws', {
        name: '@bento-ts/aws',
        version: '0.1.0',
        dependencies: { '@aws-sdk/credential-providers': '^3.1169.0' },
        peerDependencies: { '@bento-ts/core': 'workspace:^' },
      }),
      pkg('packages/core', { name: '@bento-ts/core', version: '0.1.0', dependencies: { ajv: '^8.20.0' } }),
      pkg('packages/test-services', {
        name: '@bento-ts/test-services',
        version: '0.0.0',
        private: true,
        dependencies: { ioredis: '6.0.0' },
      }),
    ]
    expect(connectorSdks(packages)).toEqual(['@aws-sdk/client-sqs', '@aws-sdk/credential-providers'])
  })

  it('a package made from templates/connector joins the bump with the SDK it adds', () => {
    const template = JSON.parse(
      readFileSync(join(repoRoot, 'templates', 'connector', 'package.json'), 'utf8'),
    ) as Manifest
    const fresh = pkg('packages/fresh', {
      ...template,
      name: '@bento-ts/fresh',
      dependencies: { ...template.dependencies, 'fresh-sdk': '^1.2.0' },
    })
    const dir = mkdtempSync(join(tmpdir(), 'bump-sdks-'))
    const file = join(dir, 'connector-sdks.json')
    writeFileSync(file, JSON.stringify({ otherSdks: ['@grpc/grpc-js'], holds: {} }))
    expect(readConfig(file, [...workspace, fresh]).sdks).toEqual(['fresh-sdk', '@grpc/grpc-js'])
  })

  it('the repository’s own SDKs are every registry dependency of its connector packages', () => {
    const own = readConfig()
    for (const dir of ['kafka', 'redis', 'nats', 'http', 'gcp-pubsub', 'aws-sqs', 'aws-s3', 'aws']) {
      const m = JSON.parse(readFileSync(join(repoRoot, 'packages', dir, 'package.json'), 'utf8')) as Manifest
      for (const [name, spec] of Object.entries(m.dependencies ?? {}))
        if (!spec.startsWith('workspace:')) expect(own.sdks, `${name} of packages/${dir}`).toContain(name)
    }
  })

  it('an sdks list in connector-sdks.json is refused with what to do instead', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bump-sdks-'))
    const file = join(dir, 'connector-sdks.json')
    writeFileSync(file, JSON.stringify({ sdks: ['kafkajs'], holds: {} }))
    expect(() => readConfig(file, workspace)).toThrow(/"sdks" is gone.*"otherSdks"/)
  })
})
