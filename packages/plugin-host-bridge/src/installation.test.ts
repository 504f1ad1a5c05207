import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { conflictingPlugins, conflictMessage, ownPluginDir } from './installation.ts'

const plugins = mkdtempSync(join(tmpdir(), 'installation-'))
afterAll(() => rmSync(plugins, { recursive: true, force: true }))

function install(dir: string, manifest: unknown, exe = true): string {
  const path = join(plugins, dir)
  mkdirSync(path, { recursive: true })
  writeFileSync(join(path, 'plugin.json'), JSON.stringify(manifest))
  if (exe) writeFileSync(join(path, dir), '#!/bin/sh\n', { mode: 0o755 })
  return path
}

const ours = install('workflow-plugin-bento', {
  name: 'bento',
  version: '2.0.0',
  moduleTypes: ['bento.stream'],
})
const types = ['bento.stream', 'bento.input', 'step.bento', 'bento']

describe('conflicting installs', () => {
  it('none when only ours and unrelated plugins are installed', () => {
    install('auth', { name: 'auth', version: '1.0.0', moduleTypes: ['auth.jwt'] })
    install('half', { name: 'half', moduleTypes: ['bento.stream'] }, false) // no executable: not loaded
    expect(conflictingPlugins(ours, types)).toEqual([])
  })

  it('the Go plugin, by the types its capabilities declare', () => {
    const go = install('bento', {
      name: 'bento',
      version: '1.1.5',
      capabilities: { moduleTypes: ['bento.stream', 'bento.input'], stepTypes: ['step.bento'] },
    })
    const conflicts = conflictingPlugins(ours, types)
    expect(conflicts).toEqual([
      { dir: go, name: 'bento', version: '1.1.5', types: ['bento.stream', 'bento.input', 'step.bento'] },
    ])
    expect(conflictMessage(ours, conflicts)).toBe(
      `workflow-plugin-bento (${ours}): another installed plugin provides the same types: ${go} (plugin "bento" 1.1.5: bento.stream, bento.input, step.bento). The host would register only the first one it loads and ignore the other. Remove one of them (delete its directory, or wfctl plugin remove <name>) and restart.`,
    )
  })

  it('finds its own dir from the executable, else the working directory', () => {
    expect(ownPluginDir(join(ours, 'workflow-plugin-bento'), '/')).toBe(ours)
    expect(ownPluginDir('/usr/bin/node', ours)).toBe(ours)
    expect(ownPluginDir('/usr/bin/node', plugins)).toBeUndefined()
  })
})
