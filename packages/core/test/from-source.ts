// `node --import ./from-source.ts …`: workspace packages (@bento-ts/*) resolve to their TypeScript
// sources instead of their built dist/, so the CLI under test runs the working tree of core and
// bloblang as it is now, with no build step (Node 24 strips the types itself).
import { existsSync, readFileSync } from 'node:fs'
import { registerHooks } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const sourceOf = new Map<string, string | undefined>()

/**
 * `@bento-ts/core` → file URL of packages/core/src/index.ts when its main export is dist/index.js;
 * a subpath (`@bento-ts/core/kit`) the same way by its own export, so no import reaches a dist/.
 */
function sourceEntry(name: string, subpath: string, resolveManifest: () => string): string | undefined {
  const key = `${name}${subpath}`
  if (sourceOf.has(key)) return sourceOf.get(key)
  let entry: string | undefined
  try {
    const manifestPath = fileURLToPath(resolveManifest())
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      exports?: Record<string, string | { default?: string } | undefined>
    }
    const main = manifest.exports?.[`.${subpath}`]
    const target = typeof main === 'string' ? main : main?.default
    const built = target?.match(/^\.\/dist\/(.+)\.js$/)
    if (built !== null && built !== undefined) {
      const source = join(dirname(manifestPath), 'src', `${built[1]}.ts`)
      if (existsSync(source)) entry = pathToFileURL(source).href
    }
  } catch {
    // not a package of ours with a manifest: leave its resolution alone
  }
  sourceOf.set(key, entry)
  return entry
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    const match = specifier.match(/^(@bento-ts\/[^/]+)(\/[^/]+)?$/)
    if (match !== null) {
      const name = match[1]!
      const manifest = () => {
        try {
          return nextResolve(`${name}/package.json`, context).url
        } catch {
          // A script outside the workspace (a test's scratch file) gets the workspace's package.
          return nextResolve(`${name}/package.json`, { ...context, parentURL: import.meta.url }).url
        }
      }
      const source = sourceEntry(name, match[2] ?? '', manifest)
      if (source !== undefined) return { url: source, shortCircuit: true }
    }
    return nextResolve(specifier, context)
  },
})
