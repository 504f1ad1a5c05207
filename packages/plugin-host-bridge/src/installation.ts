// Where the plugin is installed, as the host laid it out: <plugins>/<dir>/{<dir>, plugin.json}.
// Two plugins that provide the same types (the Go workflow-plugin-bento and this one, or two
// copies of this one under different dirs) cannot both be loaded: the host registers the types of
// whichever it loads first and only warns about the other ("module type already registered"), so
// configs silently run on one of them. The plugin refuses to start then, saying which to remove.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

export interface InstalledPlugin {
  dir: string
  name: string
  version: string
  types: string[]
}

const typeLists = ['moduleTypes', 'stepTypes', 'triggerTypes'] as const

/** A plugin dir's plugin.json: name, version, and every type it declares (flat or under capabilities). */
export function readInstalled(dir: string): InstalledPlugin | undefined {
  let manifest: Record<string, unknown>
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'plugin.json'), 'utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
  const capabilities = (manifest.capabilities ?? {}) as Record<string, unknown>
  const types = new Set<string>()
  for (const list of typeLists) {
    for (const source of [manifest[list], capabilities[list]]) {
      if (Array.isArray(source)) for (const t of source) if (typeof t === 'string') types.add(t)
    }
  }
  return {
    dir,
    name: typeof manifest.name === 'string' ? manifest.name : basename(dir),
    version: typeof manifest.version === 'string' ? manifest.version : '?',
    types: [...types],
  }
}

/** The other plugins in the plugins dir around `ownDir` that provide any of `types`. */
export function conflictingPlugins(ownDir: string, types: readonly string[]): InstalledPlugin[] {
  const pluginsDir = dirname(ownDir)
  const own = realpathSync(ownDir)
  const out: InstalledPlugin[] = []
  for (const entry of readdirSync(pluginsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const dir = join(pluginsDir, entry.name)
    // only what the host would load
    if (realpathSync(dir) === own || !isPluginDir(dir)) continue
    const installed = readInstalled(dir)
    if (installed === undefined) continue
    const shared = installed.types.filter((t) => types.includes(t))
    if (shared.length > 0) out.push({ ...installed, types: shared })
  }
  return out.sort((a, b) => (a.dir < b.dir ? -1 : 1))
}

/** The error for conflicting installs: what clashes, and what to do. */
export function conflictMessage(ownDir: string, conflicts: readonly InstalledPlugin[]): string {
  const others = conflicts
    .map((c) => `${c.dir} (plugin "${c.name}" ${c.version}: ${c.types.join(', ')})`)
    .join('; ')
  return (
    `workflow-plugin-bento (${ownDir}): another installed plugin provides the same types: ${others}. ` +
    'The host would register only the first one it loads and ignore the other. Remove one of them ' +
    `(delete its directory, or wfctl plugin remove <name>) and restart.`
  )
}

/** Whether dir is laid out as the host discovers plugins: plugin.json and an executable named as dir. */
const isPluginDir = (dir: string) =>
  existsSync(join(dir, 'plugin.json')) && existsSync(join(dir, basename(dir)))

/**
 * The dir this plugin was started from: the executable's (the single executable), else the working
 * directory the host gives it (a plugin run from source through a shim); undefined when neither is
 * a plugin dir (not installed, e.g. started by a test).
 */
export function ownPluginDir(execPath = process.execPath, cwd = process.cwd()): string | undefined {
  return [dirname(execPath), cwd].find(isPluginDir)
}
