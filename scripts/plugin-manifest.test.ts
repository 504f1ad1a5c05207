import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { manifestContracts } from '../packages/plugin-host-bridge/src/contracts.ts'
import { moduleTypes, stepTypes, triggerTypes } from '../packages/plugin-host-bridge/src/schemas.ts'
import {
  appManifestPath,
  contractsFile,
  goPluginLine,
  manifestWithVersion,
  type PluginManifest,
  parseChecksums,
  registryManifest,
  rootManifestProblem,
} from './plugin-manifest.ts'
import { checkPluginVersion } from './release-build.ts'

const manifest = JSON.parse(readFileSync(appManifestPath, 'utf8')) as PluginManifest

describe('plugin.json', () => {
  it('at the repository root equals apps/plugin/plugin.json', () => {
    expect(rootManifestProblem()).toBeUndefined()
  })

  it('declares what wfctl requires of an external plugin', () => {
    expect(manifest).toMatchObject({
      name: 'bento',
      type: 'external',
      tier: 'community',
      license: 'MIT',
      repository: 'https://github.com/GoCodeAlone/bento-ts',
    })
    expect(manifest.minEngineVersion).toMatch(/^\d+\.\d+\.\d+$/)
    expect(manifest.capabilities).toEqual({
      moduleTypes: [...moduleTypes],
      stepTypes: [...stepTypes],
      triggerTypes: [...triggerTypes],
    })
    // the top-level lists are what the host's own manifest check reads
    expect([manifest.moduleTypes, manifest.stepTypes, manifest.triggerTypes]).toEqual([
      [...moduleTypes],
      [...stepTypes],
      [...triggerTypes],
    ])
  })

  it('lists the contracts the plugin serves', () => {
    expect(manifest.contracts).toEqual(manifestContracts)
    expect(JSON.parse(contractsFile(manifest))).toEqual({ version: '1', contracts: manifestContracts })
  })

  it('has a download per platform of this version’s release', () => {
    const tag = `v${manifest.version}`
    expect(manifest.downloads.map((d) => `${d.os}/${d.arch} ${d.url}`)).toEqual(
      ['linux/amd64', 'linux/arm64', 'darwin/amd64', 'darwin/arm64'].map((p) => {
        const [os, arch] = p.split('/')
        return `${p} https://github.com/GoCodeAlone/bento-ts/releases/download/${tag}/workflow-plugin-bento-${os}-${arch}.tar.gz`
      }),
    )
  })

  it('versions above the Go plugin’s line, so requires: bento >=1.0.0 resolves to it', () => {
    expect(Number(manifest.version.split('.')[0])).toBeGreaterThan(Number(goPluginLine.split('.')[0]))
    expect(() => checkPluginVersion('1.9.0')).toThrow(/above the Go plugin/)
    expect(() => checkPluginVersion('2.0.0')).not.toThrow()
  })
})

describe('manifestWithVersion', () => {
  it('sets the version and the download URLs’ tag, leaving the formatting alone', () => {
    const text =
      '{\n  "name": "bento",\n  "version": "2.0.0",\n  "downloads": [{"url": "https://github.com/o/r/releases/download/v2.0.0/a.tar.gz"}]\n}\n'
    expect(manifestWithVersion(text, '2.1.3')).toBe(text.replaceAll('2.0.0', '2.1.3'))
    expect(() => manifestWithVersion('{"name":"bento"}', '1.2.3')).toThrow(/no "version" string/)
  })
})

describe('registryManifest', () => {
  it('adds each present archive’s sha256 and leaves out the platforms not built', () => {
    const sha = 'ab'.repeat(32)
    const checksums = parseChecksums(
      `${sha}  workflow-plugin-bento-linux-amd64.tar.gz\n${sha}  workflow-plugin-bento_linux_amd64.tar.gz\n`,
    )
    const out = JSON.parse(registryManifest(manifest, checksums)) as PluginManifest
    expect(out.downloads).toEqual([
      { os: 'linux', arch: 'amd64', url: manifest.downloads[0]!.url, sha256: sha },
    ])
    expect({ ...out, downloads: manifest.downloads }).toEqual(manifest)
    expect(() => registryManifest(manifest, new Map([['x.tar.gz', sha]]))).toThrow(/none of x.tar.gz/)
  })
})
