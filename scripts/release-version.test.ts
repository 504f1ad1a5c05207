import { describe, expect, it } from 'vitest'
import { bundledReleases, parseChangeset, pluginChangeset, versionModule } from './release-version.ts'

describe('parseChangeset', () => {
  it('reads the releases of the front matter, quoted or not', () => {
    const text = `---\n"@bento-ts/core": minor\n'@bento-ts/kafka': patch\n@bento-ts/nats: none\n---\n\nSomething: major\n`
    expect([...parseChangeset(text)]).toEqual([
      ['@bento-ts/core', 'minor'],
      ['@bento-ts/kafka', 'patch'],
      ['@bento-ts/nats', 'none'],
    ])
  })
  it('an empty changeset releases nothing', () => {
    expect(parseChangeset('---\n---\n\nDocs only.\n').size).toBe(0)
  })
})

describe('bundledReleases', () => {
  const bundled = new Set(['@bento-ts/core', '@bento-ts/bloblang', '@bento-ts/plugin-host-bridge'])
  it('lists the bundled packages released when no changeset names the plugin', () => {
    const pending = [
      parseChangeset('---\n"@bento-ts/core": patch\n"@bento-ts/kafka": minor\n---\n'),
      parseChangeset('---\n"@bento-ts/bloblang": minor\n---\n'),
    ]
    expect(bundledReleases(pending, bundled)).toEqual(['@bento-ts/bloblang', '@bento-ts/core'])
    expect(pluginChangeset(bundledReleases(pending, bundled))).toBe(
      '---\n"@bento-ts/plugin": patch\n---\n\nRebuilt with the new releases of @bento-ts/bloblang, @bento-ts/core (see their changelogs).\n',
    )
  })
  it('nothing when the plugin has its own changeset, or nothing bundled is released', () => {
    expect(
      bundledReleases(
        [
          parseChangeset('---\n"@bento-ts/core": patch\n---\n'),
          parseChangeset('---\n"@bento-ts/plugin": minor\n---\n'),
        ],
        bundled,
      ),
    ).toEqual([])
    expect(
      bundledReleases(
        [parseChangeset('---\n"@bento-ts/kafka": patch\n"@bento-ts/core": none\n---\n')],
        bundled,
      ),
    ).toEqual([])
  })
})

describe('writing the plugin version', () => {
  it('into version.ts', () => {
    const text = "// why\nexport const version = '0.0.0'\n"
    expect(versionModule(text, '1.2.3')).toBe("// why\nexport const version = '1.2.3'\n")
    expect(() => versionModule('export const v = 1\n', '1.2.3')).toThrow(/no "export const version/)
  })
})
